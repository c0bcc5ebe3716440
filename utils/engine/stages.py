"""Where the time of one submission goes: seconds per stage, from the monotonic clock.

A unit is one process grading one submission, so its stages are kept in this module while it
runs and written into its result (``taken``); the runner adds its own (scratch course, unit
start) and keeps them all in ``Outcome.stages``. Stages do not overlap: a stage measured inside
another (kernel start inside autograde) is given on its own and taken out of the outer one.
"""
import time
from contextlib import contextmanager

# The stages in the order a submission goes through them.
ORDER = ("scratch course", "unit start", "kernel start", "cell execution", "nbgrader bookkeeping",
         "judge", "feedback", "unit finish")

_seconds = {}


def add(name, seconds):
    """Count seconds towards the stage name."""
    _seconds[name] = _seconds.get(name, 0.0) + max(0.0, seconds)


@contextmanager
def stage(name, inner=()):
    """Time the block as (part of) the stage name, less the stages inner measured within it."""
    started = time.monotonic()
    before = sum(_seconds.get(part, 0.0) for part in inner)
    try:
        yield
    finally:
        within = sum(_seconds.get(part, 0.0) for part in inner) - before
        add(name, time.monotonic() - started - within)


def taken():
    """{stage: seconds} measured in this process so far, rounded to milliseconds; clears them."""
    measured = {name: round(seconds, 3) for name, seconds in _seconds.items()}
    _seconds.clear()
    return measured
