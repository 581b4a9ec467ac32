"""Synthetic marketplace: realistic Russian classifieds days with labelled violations.

``generate_day(day_index, listings, seed, drift_day=None, start_date=DEFAULT_START)`` builds one
day in memory (pure, deterministic for a seed) and returns ``(listings, truth)``;
``write_days`` writes ``listings-YYYY-MM-DD.parquet`` and ``truth-YYYY-MM-DD.parquet`` per day
(the ``moderation generate`` command). Demo, tests, benchmarks and the closed-loop simulation all
stand on it.

What a day holds:

- listings in 12 categories with Russian titles and descriptions, log-normal prices around each
  item's median (scaled by region), sellers from a population fixed per seed (private and pro,
  account age, listing counts, past blocks);
- violations at ``BASE_RATES`` (about 7.5 % in total), a third of them from repeat offenders who
  come back every day with the same phone, handle, wording or listing (rings share them);
- hard cases (about 4 %, labelled ``ok``) and label noise (about 0.18 %, mostly missed violations, flagged ``label_noise``);
- from ``drift_day`` (1-based) a new delivery-phishing scam growing from 0.5 % to 1.6 % of the day.

The truth file's ``pattern`` is the generator's sub-type; ``PATTERNS`` maps each to its label.
Day indices are 0-based (day 0 is ``start_date``); listing ids are ``L<YYYYMMDD>-<n>``.
"""

from moderation.synth.day import BASE_RATES, DEFAULT_START, TRUTH_COLUMNS, drift_share, generate_day
from moderation.synth.patterns import PATTERNS
from moderation.synth.write import write_days

__all__ = ["generate_day", "write_days", "BASE_RATES", "DEFAULT_START", "TRUTH_COLUMNS",
           "PATTERNS", "drift_share"]
