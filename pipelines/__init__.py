"""Runnable jobs: the daily scoring run, training, rule suggestion, closed-loop simulation."""
