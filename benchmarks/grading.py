"""Seconds per submission: `python -m utils grade` (1 and 2 jobs) beside plain `nbgrader autograde`.

Usage: .venv/bin/python benchmarks/grading.py [--submissions 20]

Every course is a fresh copy of this one with N copies of the correct demo submission. The kit's
figures are whole command runs (releasing the assignment into its scratch course, the sandbox
and the judge included); nbgrader's is the autograde command alone, after generate_assignment.
The last row shows what the sandbox costs: the kit with one job and --no-sandbox.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from utils import ASSIGNMENT, SOURCE  # noqa: E402
from utils.demo import DEMO_SUBMISSIONS  # noqa: E402
from utils.engine.assignment import nbgrader_env  # noqa: E402


def make_course(folder, submissions):
    shutil.copytree(SOURCE / ASSIGNMENT, folder / "source" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    correct = DEMO_SUBMISSIONS / "correct" / ASSIGNMENT
    for number in range(submissions):
        shutil.copytree(correct, folder / "submitted" / f"student{number:02d}" / ASSIGNMENT)
    return folder


def timed(command, cwd):
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=nbgrader_env())
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    args = parser.parse_args()
    n = args.submissions
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        plain = make_course(Path(scratch) / "plain", n)
        timed([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT], plain)
        rows.append(("nbgrader autograde", timed([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], plain)))
        for jobs, extra in ((1, []), (2, []), (1, ["--no-sandbox"])):
            course = make_course(Path(scratch) / f"kit{jobs}{len(extra)}", n)
            command = [sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course),
                       "--jobs", str(jobs), *extra]
            rows.append((" ".join([f"utils grade --jobs {jobs}", *extra]), timed(command, ROOT)))
    base = rows[0][1] / n
    print(f"{n} correct submissions of {ASSIGNMENT}")
    print(f"{'command':<36} {'total s':>8} {'s/submission':>13} {'vs nbgrader':>12}")
    for name, seconds in rows:
        print(f"{name:<36} {seconds:8.1f} {seconds / n:13.2f} {seconds / n / base:11.2f}x")
    one, two, bare = rows[1][1], rows[2][1], rows[3][1]
    print(f"second job speed-up: {one / two:.2f}x; sandbox cost: {(one - bare) / n:+.2f} s per submission "
          f"({one / bare:.2f}x)")


if __name__ == "__main__":
    main()
