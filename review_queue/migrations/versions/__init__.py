"""Revision files, one per schema change, applied in order by ``review_queue.migrate``."""
