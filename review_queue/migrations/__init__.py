"""Alembic migrations of the review-queue schema, shipped inside the package (run by ``migrate.py``)."""
