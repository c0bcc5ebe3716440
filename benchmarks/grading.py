"""Seconds per submission: `python -m utils grade` (1 and 2 jobs) beside plain nbgrader, with the
floor and where the kit's time goes.

Usage: .venv/bin/python benchmarks/grading.py [--submissions 20]

Every course is a fresh copy of this one's source/ with N correct submissions that hold both
notebooks as students hand them in: the demo's correct dinosaur_island.ipynb and the released
shakespeare.ipynb. In one run, on the same files:

- nbgrader: generate_assignment and autograde of every student in one process, with nbgrader's
  own settings (benchmarks/plain_nbgrader_config.py: no sandbox, no judge, no feedback);
- the kit: whole `python -m utils grade` commands (release, sandbox, judge, feedback, recording,
  report) with --jobs 1 and --jobs 2;
- the floor: running the graded notebook's cells (the instructor's, hidden tests included, as
  autograde runs them for a correct submission) in a kernel that is already running.

Then the stages of a submission (utils/engine/stages.py), averaged over the --jobs 1 run, and
the rest of that run (release, gradebook, report) per submission.
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from utils import ASSIGNMENT, RELEASE, SOURCE  # noqa: E402
from utils.demo import DEMO_SUBMISSIONS  # noqa: E402
from utils.engine.assignment import nbgrader_env  # noqa: E402
from utils.engine.stages import ORDER  # noqa: E402

PLAIN_CONFIG = Path(__file__).with_name("plain_nbgrader_config.py")
UNGRADED = "shakespeare.ipynb"
FLOOR_RUNS = 3


def make_course(folder, submissions, config):
    """A course in folder: source/, config as its nbgrader_config.py and the submissions."""
    shutil.copytree(SOURCE / ASSIGNMENT, folder / "source" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(config, folder / "nbgrader_config.py")
    for number in range(submissions):
        handed_in = folder / "submitted" / f"student{number:02d}" / ASSIGNMENT
        shutil.copytree(DEMO_SUBMISSIONS / "correct" / ASSIGNMENT, handed_in)
        shutil.copy(RELEASE / ASSIGNMENT / UNGRADED, handed_in)
    return folder


def timed(command, cwd):
    """Wall-clock seconds of a command; the benchmark stops with its error if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=nbgrader_env())
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def plain_nbgrader(course):
    """nbgrader generate_assignment, then autograde for every student, in this process."""
    from nbgrader.converters import Autograde, GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    coursedir = CourseDirectory(config=config, root=str(course))
    coursedir.assignment_id = ASSIGNMENT
    GenerateAssignment(coursedir=coursedir, config=config).start()
    autograde = Autograde(coursedir=coursedir, config=config)
    autograde.create_student = True
    autograde.start()


def floor_seconds(folder):
    """Seconds to run the instructor's graded notebook, cell by cell, in a kernel already
    running in a copy of its folder (the fastest of FLOOR_RUNS runs)."""
    from nbclient import NotebookClient

    shutil.copytree(SOURCE / ASSIGNMENT, folder, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    os.environ["NBGRADER_EXECUTION"] = "autograde"   # what the kernel sees under nbgrader
    runs = []
    for _ in range(FLOOR_RUNS):
        notebook = nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        client = NotebookClient(notebook, kernel_name="python3", timeout=60,
                                resources={"metadata": {"path": str(folder)}})
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            client.reset_execution_trackers()
            started = time.perf_counter()
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
            runs.append(time.perf_counter() - started)
    return min(runs)


def stage_means(course):
    """{stage: mean seconds per submission} from the outcomes the course's gradebook holds."""
    with sqlite3.connect(course / "gradebook.db") as db:
        documents = [json.loads(text) for text, in db.execute("SELECT document FROM kit_outcome")]
    return {name: statistics.fmean(d.get("stages", {}).get(name, 0.0) for d in documents) for name in ORDER}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20, help="correct submissions (default 20)")
    parser.add_argument("--plain-nbgrader", type=Path, metavar="COURSE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_nbgrader:   # the nbgrader figure, timed from the parent as a whole process
        return plain_nbgrader(args.plain_nbgrader)
    n = args.submissions
    if n < 1:
        sys.exit("error: --submissions must be at least 1")
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        plain = make_course(scratch / "plain", n, PLAIN_CONFIG)
        rows["nbgrader generate + autograde"] = timed(
            [sys.executable, __file__, "--plain-nbgrader", plain], ROOT)
        for jobs in (1, 2):
            course = make_course(scratch / f"kit{jobs}", n, ROOT / "nbgrader_config.py")
            rows[f"kit grade --jobs {jobs}"] = timed(
                [sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", course,
                 "--jobs", str(jobs)], ROOT)
            if jobs == 1:
                stages = stage_means(course)
        floor = floor_seconds(scratch / "floor")
    nbgrader, one, two = (rows[name] / n for name in rows)
    print(f"{n} correct submissions of {ASSIGNMENT} (both notebooks), {os.cpu_count()} cores")
    print(f"{'':<32} {'total s':>8} {'s/submission':>13} {'vs nbgrader':>12} {'vs floor':>9}")
    for name, seconds in rows.items():
        per = seconds / n
        print(f"{name:<32} {seconds:8.1f} {per:13.2f} {per / nbgrader:11.2f}x {per / floor:8.1f}x")
    print(f"{'floor: cells in a running kernel':<32} {'':>8} {floor:13.2f} {floor / nbgrader:11.2f}x "
          f"{1:8.1f}x")
    print(f"kit --jobs 1 vs nbgrader: {one / nbgrader:.2f}x (target at most 0.80x)")
    print(f"kit --jobs 2 throughput vs --jobs 1: {one / two:.2f}x (target at least 1.70x)")
    print("stages of one submission, kit --jobs 1 (mean s):")
    for name, seconds in stages.items():
        print(f"  {name:<30} {seconds:6.2f}")
    rest = one - sum(stages.values())
    print(f"  {'rest of the run, per submission':<30} {rest:6.2f}  (release, gradebook, recording, report)")
    print(f"  {'total':<30} {one:6.2f}")


if __name__ == "__main__":
    main()
