"""Rows for the table in docs/reliability.md.

Each reliability test, once its assertions have passed, calls row() with
what it injected, how much, and what it observed. When the environment
names a file in GCMON_RELIABILITY_REPORT (scripts/reliability-report does),
the row is appended to it as one JSON line; otherwise nothing happens.
GCMON_RELIABILITY_SCALE (default 1) multiplies durations and counts, so the
report can be made from longer runs than the default suite's.
"""
import json
import os


def scale():
    try:
        return max(1.0, float(os.environ.get("GCMON_RELIABILITY_SCALE", "1")))
    except ValueError:
        return 1.0


def slow():
    """True under valgrind: timing bounds should be generous."""
    return os.environ.get("GCMON_VALGRIND", "0") == "1"


def row(test, injects, amount, observed):
    path = os.environ.get("GCMON_RELIABILITY_REPORT")
    if not path:
        return
    with open(path, "a") as f:
        f.write(json.dumps(dict(test=test, injects=injects, amount=amount,
                                observed=observed)) + "\n")
