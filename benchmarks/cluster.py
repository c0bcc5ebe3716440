"""Grading on the Dask cluster: submissions per minute with 1 and 2 workers on this machine, and
the coordinator's own ceiling, the results per second it takes in and records in PostgreSQL
when units cost nothing.

    .venv/bin/python benchmarks/cluster.py --db postgresql+psycopg://USER:PASSWORD@HOST/postgres \
        [--submissions 8] [--results 1000] [--skip-units]

Each figure is a real `grade` run (utils.grade.grade, the coordinator and a LocalCluster of
worker processes) on a fresh course whose students all hand in the correct demo submission,
with the gradebook in a scratch PostgreSQL database on the --db server (dropped after). Rates
are taken from the gradebook's own record (kit_outcome.recorded_at, first result to last), so
releasing the assignment and starting the cluster are left out.

For the ceiling, the task is replaced (in this script only) by an instant one that answers,
from memory, with the submission's notebook as the graded notebook and a small feedback page:
everything the coordinator does per result is real (packing the submission, the round trip
through the scheduler, unpacking the answer into the course, recording the results that came
in together in one transaction).
"""
import argparse
import io
import logging
import shutil
import sys
import tarfile
import tempfile
from dataclasses import asdict
from pathlib import Path

import dask
import psycopg
from distributed import LocalCluster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from utils import ASSIGNMENT  # noqa: E402
from utils.demo import DEMO_SUBMISSIONS  # noqa: E402
import utils.engine.task  # noqa: E402
from utils.grade import grade  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from recording import scratch_database  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from test_grade import make_course  # noqa: E402


def course_with(folder, submissions):
    course = make_course(folder)
    correct = DEMO_SUBMISSIONS / "correct" / ASSIGNMENT
    for number in range(submissions):
        shutil.copytree(correct, course / "submitted" / f"student{number:05d}" / ASSIGNMENT)
    return course


def instant_task(bundle, student, submission, settings, sandbox):
    """A unit that costs nothing: full marks, the handed-in notebook as the graded one. Its
    answer is made in memory, so that the worker processes do not share the coordinator's disk
    (a real worker is another machine)."""
    from utils.engine.intake import INTAKE_NOTE
    from utils.engine.outcome import Outcome, exercise_of

    name, cells = bundle["name"], bundle["cells"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(submission)) as handed_in, \
            tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as answer:
        for kind in ("autograded", "feedback"):
            for depth in range(1, 4):
                folder = tarfile.TarInfo("/".join([kind, student, name][:depth]))
                folder.type = tarfile.DIRTYPE
                answer.addfile(folder)
        for member in handed_in.getmembers():
            if member.isfile() and member.name != INTAKE_NOTE and "/" not in member.name:
                member.name = f"autograded/{student}/{name}/{member.name}"
                answer.addfile(member, handed_in.extractfile(member))
        page = b"<html><body>full marks</body></html>"
        member = tarfile.TarInfo(f"feedback/{student}/{name}/{name}.html")
        member.size = len(page)
        answer.addfile(member, io.BytesIO(page))
    exercises = {}
    for cell, points in cells.items():
        exercises.setdefault(exercise_of(cell), [0.0, 0.0])
        exercises[exercise_of(cell)][0] += points
        exercises[exercise_of(cell)][1] += points
    total = sum(cells.values())
    outcome = Outcome(student, "graded", total, total, exercises, cell_scores=dict(cells))
    return {"outcome": asdict(outcome), "files": buffer.getvalue(), "worker": "instant"}


def rate(server, submissions, jobs, scheduler=None):
    """Results recorded per second in a grade run of `submissions` students with `jobs` workers
    (or the workers of the scheduler at that address)."""
    with tempfile.TemporaryDirectory() as folder, scratch_database(server) as url:
        course = course_with(Path(folder) / "course", submissions)
        outcomes, graded_now, _ = grade(course, ASSIGNMENT, course / "submitted", jobs=jobs,
                                        progress=False, db_url=url, scheduler=scheduler)
        if len(graded_now) != submissions or any(o.status != "graded" or o.score != o.max_score for o in outcomes):
            sys.exit(f"not every submission was graded with full marks: {outcomes[:3]}")
        libpq = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(libpq) as db:
            first, last = db.execute("SELECT MIN(recorded_at), MAX(recorded_at) FROM kit_outcome").fetchone()
    return (submissions - 1) / (last - first).total_seconds()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL server to make a scratch database on")
    parser.add_argument("--submissions", type=int, default=8, help="students in the real-unit runs")
    parser.add_argument("--results", type=int, default=1000, help="students in the instant-unit run")
    parser.add_argument("--skip-units", action="store_true", help="only the coordinator's ceiling")
    args = parser.parse_args()
    if not args.skip_units:
        for jobs in (1, 2):
            per_second = rate(args.db, args.submissions, jobs)
            print(f"real units, {jobs} worker{'s' if jobs > 1 else ''}: {60 * per_second:.1f} submissions/minute",
                  flush=True)
    utils.engine.task.grade_task = instant_task   # cluster.graded sends task.grade_task
    # The instant units run in worker processes of their own, so that the figure is the
    # coordinator's (grading's own local cluster runs its workers inside the coordinator).
    with dask.config.set({"distributed.worker.daemon": False}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=0,
                         dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        print(f"instant units, 2 worker processes: "
              f"{rate(args.db, args.results, 2, cluster.scheduler_address):.0f} results/s recorded "
              f"({args.results} students)", flush=True)


if __name__ == "__main__":
    main()
