"""Hostile submissions graded through `python -m utils grade` with the sandbox on.

Each submission is the correct solution plus one attack appended to a solution cell. The
attacks print what they achieved; the test reads the graded notebooks' outputs, the grades and
the course files' hashes afterwards.
"""
import csv
import hashlib
import shutil
import sqlite3
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from utils import ASSIGNMENT, RELEASE, ROOT, SOURCE
from utils.submissions import filled_notebook, instructor_solutions

from test_grade import make_course

MARKER = "kit-hostile-daemon"

READ_AND_WRITE = """
import glob, os
_others = [p for p in glob.glob("../../*/*/*.ipynb") + glob.glob("/work/*/source/*/*.ipynb")
           if not os.path.realpath(p).startswith(os.getcwd())]  # other students, other courses
for _path in {targets!r} + _others:
    try:
        open(_path, "rb").read(10)
        print("READ OK", _path)
    except OSError as _error:
        print("read blocked", _path, type(_error).__name__)
    try:
        with open(_path, "ab") as _f:
            _f.write(b"garbage")
        print("WRITE OK", _path)
    except OSError as _error:
        print("write blocked", _path, type(_error).__name__)
"""

ATTACKS = {
    "reads_course": ("clip", READ_AND_WRITE),
    "allocates_6gb": ("clip", """
try:
    _big = bytearray(6 * 1024 ** 3)
    print("ALLOCATED 6 GB")
except MemoryError:
    print("allocation refused: MemoryError")
"""),
    "ignores_sigint": ("model", """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""),
    "fork_bomb": ("model", """
import os
_children = 0
try:
    for _ in range(100000):
        if os.fork() == 0:
            import time
            time.sleep(600)
            os._exit(0)
        _children += 1
except OSError as _error:
    print("fork refused after", _children, "children:", type(_error).__name__)
"""),
    "detaches_daemon": ("clip", f"""
import os, subprocess
subprocess.Popen(["/bin/sh", "-c", "exec -a {MARKER} sleep 600"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("daemon started")
"""),
    # A wrong sample (argmax) that patches every comparison function it can think of.
    "patches_numpy": ("sample", """
import math, numpy, numpy.testing
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_equal = lambda *a, **k: None
math.isclose = lambda *a, **k: True
"""),
    # A wrong sample that goes further: it rebinds the notebook's own grading helpers (they
    # are visible in the release) and swallows every error, so every check cell "passes".
    "rebinds_graders": ("sample", """
_grade = lambda points, checks: points
_difference = lambda *args, **kwargs: None
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
"""),
    # clip returns arrays that claim to equal anything.
    "cheat_arrays": ("clip", """
import numpy
class _Cheat(numpy.ndarray):
    def __eq__(self, other):
        return True
    def __array_ufunc__(self, *args, **kwargs):
        return True
_honest_clip = clip
def clip(gradients, maxValue):
    return {key: numpy.asarray(value).view(_Cheat) for key, value in gradients.items()}
import numpy
"""),
}


def hash_tree(folder):
    sha = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        sha.update(str(path).encode() + path.read_bytes())
    return sha.hexdigest()


def daemons():
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if MARKER in " ".join(process.info["cmdline"] or []):
            found.append(process.pid)
    return found


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("hostile"))
    shutil.copytree(RELEASE, course / "release")
    release = nbformat.read(RELEASE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    correct = instructor_solutions(nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    targets = [str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
               str(course / "release" / ASSIGNMENT / "rnn_utils.py"), str(course / "gradebook.db"),
               str(ROOT / "nbgrader_config.py"), "../../../gradebook.db"]
    for student, (cell, attack) in ATTACKS.items():
        solutions = dict(correct)
        if student in ("patches_numpy", "rebinds_graders"):
            solutions["sample"] = solutions["sample"].replace(
                "np.random.choice(range(vocab_size), p=y.ravel())", "int(np.argmax(y))")
        solutions[cell] += "\n\n" + attack.replace("{targets!r}", repr(targets))
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(filled_notebook(release, solutions), folder / f"{ASSIGNMENT}.ipynb")
    honest = course / "submitted" / "honest" / ASSIGNMENT
    honest.mkdir(parents=True)
    nbformat.write(filled_notebook(release, correct), honest / f"{ASSIGNMENT}.ipynb")
    hashes = {name: hash_tree(course / name) for name in ("source", "release")}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course),
                           "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(course / "grades.csv", newline="") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    return course, grades, hashes, time.monotonic() - started


def graded_output(course, student):
    notebook = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return "\n".join(out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", []))


def test_course_files_and_gradebook_can_be_neither_read_nor_changed(hostile_course):
    course, grades, hashes, _ = hostile_course
    output = graded_output(course, "reads_course")
    assert "read blocked" in output and "READ OK" not in output
    # Writes fail, or land in the sandbox's private /tmp and vanish with it: the real files
    # are unchanged.
    assert {name: hash_tree(course / name) for name in hashes} == hashes
    assert b"garbage" not in (course / "gradebook.db").read_bytes()
    assert b"garbage" not in (ROOT / "nbgrader_config.py").read_bytes()
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert grades["reads_course"]["score"] == "12"  # the attack costs nothing and gains nothing


def test_allocating_6_gb_fails_inside_the_kernel(hostile_course):
    course, grades, _, _ = hostile_course
    assert "allocation refused: MemoryError" in graded_output(course, "allocates_6gb")
    assert grades["allocates_6gb"]["status"] == "graded" and grades["allocates_6gb"]["score"] == "12"


def test_a_loop_that_ignores_sigint_is_stopped_and_recorded(hostile_course):
    _, grades, _, _ = hostile_course
    assert grades["ignores_sigint"]["status"] == "timed out"
    assert "time limit" in grades["ignores_sigint"]["message"]


def test_a_fork_bomb_is_capped_and_leaves_nothing_behind(hostile_course):
    course, grades, _, _ = hostile_course
    assert "fork refused after" in graded_output(course, "fork_bomb")
    assert grades["fork_bomb"]["status"] in ("graded", "timed out")
    assert not [p for p in psutil.process_iter(["cmdline"])
                if "fork_bomb" in " ".join(p.info["cmdline"] or [])]


def test_a_detached_process_is_gone_with_the_kernel(hostile_course):
    course, grades, _, _ = hostile_course
    assert "daemon started" in graded_output(course, "detaches_daemon")
    assert daemons() == []
    assert grades["detaches_daemon"]["score"] == "12"


def test_patched_comparison_functions_earn_nothing(hostile_course):
    _, grades, _, _ = hostile_course
    row = grades["patches_numpy"]
    # what an honest argmax sample earns (its lists are well formed), not a point more
    assert float(row["sample"]) == 0.29, row
    assert row["clip"] == row["optimize"] == row["model"] == "3"


def test_checks_switched_off_in_the_kernel_are_caught_by_the_judge(hostile_course):
    _, grades, _, _ = hostile_course
    row = grades["rebinds_graders"]
    assert float(row["sample"]) == 0, row
    assert "sample: notebook checks passed but its real results fail" in row["flags"]
    assert row["clip"] == row["optimize"] == row["model"] == "3"


def test_arrays_that_equal_everything_earn_nothing(hostile_course):
    _, grades, _, _ = hostile_course
    assert float(grades["cheat_arrays"]["clip"]) == 0
    assert grades["cheat_arrays"]["sample"] == "3"
