"""Synthetic marketplace: realistic Russian classifieds days with labelled violations.

``generate_day`` builds one day in memory (pure, deterministic for a seed); ``write_days`` writes
``listings-YYYY-MM-DD.parquet`` and ``truth-YYYY-MM-DD.parquet`` per day. Demo, tests, benchmarks and
the closed-loop simulation all stand on it.
"""

from moderation.synth.day import BASE_RATES, DEFAULT_START, TRUTH_COLUMNS, drift_share, generate_day
from moderation.synth.write import write_days

__all__ = ["generate_day", "write_days", "BASE_RATES", "DEFAULT_START", "TRUTH_COLUMNS", "drift_share"]
