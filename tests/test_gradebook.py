"""The gradebook survives a killed grader and waits for other programs that hold it."""
import contextlib
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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_results_recorded_together_are_the_rows_nbgrader_reads(tmp_path, backend):
    """Two batches through record_many, as the coordinator records answers that came in
    together: new students, a student graded before (updated in place) and one for review. What
    nbgrader's own API reads back (formgrader's view) is what each last record said."""
    from nbgrader.api import Gradebook

    from utils.engine.assignment import prepare_assignment
    from utils.engine.records import Course
    from postgres import new_database, server_url

    course_folder = make_course(tmp_path / "course")
    assignment = prepare_assignment(course_folder, ASSIGNMENT, tmp_path / "scratch")
    cells = assignment.cells
    full = {cell: points for cell, points in cells.items()}
    half = {cell: (0.0 if cell.endswith("_hidden") else points) for cell, points in cells.items()}
    when = datetime(2026, 3, 1, 12, 0)

    def record(student, scores, review=None, flagged=False, names=None):
        return dict(student=student, document={"student": student, "score": sum(scores.values())},
                    digest=f"digest-{student}-{sum(scores.values())}", cell_scores=scores,
                    timestamp=when, flagged=flagged, review=review, names=names)

    with (new_database(server_url()) if backend == "postgresql" else contextlib.nullcontext(None)) as url:
        course = Course(course_folder, url)
        with course.recording():
            course.sync_assignment(assignment)
            course.gradebook.record_many(ASSIGNMENT, [
                record("ada", full), record("bo", full, names={"first_name": "Bo", "last_name": "Li"})])
            with Gradebook(course.db_url, course.settings.course_id) as gradebook:
                first_id = gradebook.find_submission(ASSIGNMENT, "ada").id
            course.gradebook.record_many(ASSIGNMENT, [
                record("ada", half, flagged=True), record("cy", {}, review="timed out: a cell ran 60 s"),
                record("bo", full)])
            documents = {d["student"]: d["score"] for d in course.gradebook.documents(ASSIGNMENT)}
        with Gradebook(course.db_url, course.settings.course_id) as gradebook:
            submissions = {s.student.id: s for s in gradebook.assignment_submissions(ASSIGNMENT)}
            assert sorted(submissions) == ["ada", "bo", "cy"]
            ada, bo, cy = (submissions[name] for name in ("ada", "bo", "cy"))
            assert ada.id == first_id   # graded again: the same rows, updated
            assert ada.score == sum(half.values()) and bo.score == sum(full.values()) and cy.score == 0
            assert all(notebook.flagged for notebook in ada.notebooks)
            assert not any(notebook.flagged for notebook in bo.notebooks)
            assert {grade.name: grade.auto_score for nb in ada.notebooks for grade in nb.grades} == half
            assert not ada.needs_manual_grade and cy.needs_manual_grade
            assert {c.auto_comment for nb in cy.notebooks for c in nb.comments} == {"timed out: a cell ran 60 s"}
            assert (bo.student.first_name, bo.student.last_name) == ("Bo", "Li")
            assert (ada.student.first_name, ada.student.last_name) == ("", "ada")
            assert len(list(gradebook.db.query(type(ada)))) == 3
    assert documents == {"ada": sum(half.values()), "bo": sum(full.values()), "cy": 0}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_more_students_than_one_statement_can_name_are_recorded(tmp_path, backend):
    """A roster of 70,000 names (past PostgreSQL's 65,535 values per statement) and 1,200
    results recorded together: every one is in the gradebook."""
    from utils.engine.assignment import prepare_assignment
    from utils.engine.records import Course
    from postgres import new_database, query, server_url

    course_folder = make_course(tmp_path / "course")
    assignment = prepare_assignment(course_folder, ASSIGNMENT, tmp_path / "scratch")
    roster = {f"s{number:05d}": {"first_name": "Student", "last_name": f"{number}"} for number in range(70_000)}
    results = [dict(student=f"s{number:05d}", document={"n": number}, digest=str(number),
                    cell_scores=dict(assignment.cells)) for number in range(1_200)]
    with (new_database(server_url()) if backend == "postgresql" else contextlib.nullcontext(None)) as url:
        course = Course(course_folder, url)
        with course.recording():
            course.sync_assignment(assignment)
            course.name_students(roster)
            course.gradebook.record_many(ASSIGNMENT, results)
            documents = course.gradebook.documents(ASSIGNMENT)
        counts = ("SELECT (SELECT COUNT(*) FROM student), (SELECT COUNT(*) FROM submitted_assignment), "
                  "(SELECT SUM(auto_score) FROM grade)")
        if url:
            row = tuple(query(url, counts)[0])
        else:
            with sqlite3.connect(course_folder / "gradebook.db") as db:
                row = db.execute(counts).fetchone()
    assert (row[0], row[1], float(row[2])) == (70_000, 1_200, 1_200 * TOTAL)
    assert sorted(d["n"] for d in documents) == list(range(1_200))
