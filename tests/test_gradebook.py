"""The gradebook survives a killed grader and waits for other programs that hold it."""
import csv
import os
import signal
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from utils import ASSIGNMENT, ROOT
from utils.demo import DEMO_SUBMISSIONS
from utils.engine.gradebook import backup_sqlite

from course_facts import TOTAL
from test_grade import make_course

pytestmark = pytest.mark.slow

STUDENTS = ["s1", "s2", "s3", "s4"]


def course_with_correct_submissions(folder):
    course = make_course(folder)
    for student in STUDENTS:
        shutil.copytree(DEMO_SUBMISSIONS / "correct" / ASSIGNMENT, course / "submitted" / student / ASSIGNMENT)
    return course


def start_grading(course):
    return subprocess.Popen([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def recorded(course):
    """How many students the kit's record in gradebook.db holds (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{course / 'gradebook.db'}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM kit_outcome").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def wait_for_first_record(recorded, seconds=300):
    deadline = time.monotonic() + seconds
    while recorded() < 1 and time.monotonic() < deadline:
        time.sleep(0.2)


def test_kill_9_mid_run_then_grade_again_gives_every_grade(tmp_path):
    course = course_with_correct_submissions(tmp_path)
    grader = start_grading(course)
    wait_for_first_record(lambda: recorded(course))
    os.killpg(grader.pid, signal.SIGKILL)  # the grader and the unit it is running
    grader.wait()
    recorded_before = recorded(course)
    assert 1 <= recorded_before < len(STUDENTS)

    again = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course)],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{len(STUDENTS) - recorded_before} graded now" in again.stdout
    with open(course / "grades.csv", newline="") as handle:
        assert {row["student"]: row["score"] for row in csv.DictReader(handle)} == {s: f"{TOTAL:g}" for s in STUDENTS}
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == len(STUDENTS)
        total = db.execute("SELECT SUM(auto_score) FROM grade").fetchone()[0]
        assert db.execute("SELECT COUNT(*) FROM kit_outcome").fetchone()[0] == len(STUDENTS)
    assert total == TOTAL * len(STUDENTS)
    assert (course / "gradebook.db.bak").exists()


def test_grading_waits_for_another_program_holding_the_gradebook(tmp_path):
    course = course_with_correct_submissions(tmp_path)
    first = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course)],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    # s1 hands in again while, say, the formgrader holds a write lock for a few seconds.
    notebook = course / "submitted" / "s1" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(notebook.read_text() + "\n")
    holder = sqlite3.connect(course / "gradebook.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    grader = start_grading(course)
    time.sleep(8)
    assert grader.poll() is None, "the grader did not wait for the gradebook"
    released = datetime.now(timezone.utc).replace(tzinfo=None)
    holder.execute("COMMIT")
    holder.close()
    out, err = grader.communicate(timeout=600)
    assert grader.returncode == 0, err[-2000:]
    assert "1 graded now, 3 unchanged" in out
    with sqlite3.connect(course / "gradebook.db") as db:
        recorded = db.execute("SELECT recorded_at FROM kit_outcome WHERE student = 's1'").fetchone()[0]
    assert datetime.fromisoformat(recorded) >= released, (recorded, released)


def test_backup_is_a_consistent_copy(tmp_path):
    database = tmp_path / "gradebook.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE grade (score REAL)")
        db.executemany("INSERT INTO grade VALUES (?)", [(i,) for i in range(100)])
    copy = backup_sqlite(database)
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT SUM(score) FROM grade").fetchone()[0] == sum(range(100))
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
