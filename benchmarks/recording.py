"""Results per second the grading coordinator records in the gradebook, with the units taking no
time: SQLite (the default gradebook.db) beside PostgreSQL.

Each result is what `python -m utils grade` writes for one student (Course.store: the student,
the submission with a grade per grade cell and a comment per answer cell, the outcome document),
one transaction per student on the run's one connection. The first pass records new students;
the second records them all again (a class re-graded after a fix to the assignment).

    .venv/bin/python benchmarks/recording.py --db postgresql+psycopg://USER:PASSWORD@HOST/postgres [--results 500]

--db names a PostgreSQL server the script may create a scratch database on (it drops it after).
"""
import argparse
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from utils import ASSIGNMENT  # noqa: E402
from utils.engine.assignment import prepare_assignment  # noqa: E402
from utils.engine.outcome import Outcome  # noqa: E402
from utils.engine.records import Course  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from test_grade import make_course  # noqa: E402


def fake_outcome(assignment, number, rerun):
    """A graded student with every check passed (or, on the re-run, every hidden check failed)."""
    scores = {cell: (0.0 if rerun and cell.endswith("_hidden") else points)
              for cell, points in assignment.cells.items()}
    exercises = assignment.zero()
    for cell, score in scores.items():
        exercises[assignment.exercise_of(cell)][0] += score
    return Outcome(f"student{number:05d}", "graded", sum(scores.values()), sum(assignment.cells.values()),
                   exercises, digest=f"{uuid.uuid4().hex[:16]}-bench", cell_scores=scores)


def rates(root, assignment, db_url, results):
    """(new students per second, students re-recorded per second)."""
    course = Course(root, db_url)
    figures = []
    with course.recording():
        course.sync_assignment(assignment)
        for rerun in (False, True):
            outcomes = [fake_outcome(assignment, number, rerun) for number in range(results)]
            started = time.perf_counter()
            for outcome in outcomes:
                course.store(assignment, outcome, None, timestamp=datetime(2026, 3, 1, 12, 0))
            figures.append(results / (time.perf_counter() - started))
        stored = {o.student: o.score for o in course.outcomes(ASSIGNMENT)}
    if stored != {o.student: o.score for o in outcomes}:
        sys.exit("the recorded outcomes are not the ones stored")
    return figures


@contextmanager
def scratch_database(server):
    url = sa.engine.make_url(server)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"kit_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="PostgreSQL server URL (a scratch database is made there)")
    parser.add_argument("--results", type=int, default=500)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        assignment = prepare_assignment(make_course(scratch / "template"), ASSIGNMENT, scratch / "release")
        rows.append(("SQLite (gradebook.db)", *rates(make_course(scratch / "sqlite"), assignment, None, args.results)))
        with scratch_database(args.db) as url:
            rows.append(("PostgreSQL", *rates(make_course(scratch / "postgresql"), assignment, url, args.results)))
    print(f"{args.results} results of {ASSIGNMENT} ({len(assignment.cells)} grade cells each) "
          "recorded one transaction per student")
    print(f"{'gradebook':<24}{'new students/s':>16}{'re-recorded/s':>16}")
    for name, new, again in rows:
        print(f"{name:<24}{new:>16.0f}{again:>16.0f}")


if __name__ == "__main__":
    main()
