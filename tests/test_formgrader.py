"""nbgrader's formgrader, run by a real `jupyter server` on the graded demo class, shows what
grades.csv says: on the default SQLite gradebook and on a PostgreSQL one, which give the same
grades. Checked through the formgrader's HTTP API and the pages it serves."""
import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime

import pytest

from utils import ASSIGNMENT
from utils.demo import DEMO_SUBMISSIONS

from postgres import new_database, query, server_url
from test_grade import EXPECTED, grade, make_course, read_grades

pytestmark = pytest.mark.slow

def graded_demo(folder, db=None):
    """The demo class graded into a fresh course at folder (on the database db, if given)."""
    course = make_course(folder)
    if db:
        with open(course / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db!r}\n")
    done = grade(course, "--submissions", str(DEMO_SUBMISSIONS), "--jobs", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    return course


@pytest.fixture(scope="module")
def postgres_url():
    with new_database(server_url()) as url:
        yield url


@pytest.fixture(scope="module")
def courses(graded_demo_class, tmp_path_factory, postgres_url):
    return {"sqlite": graded_demo_class,
            "postgresql": graded_demo(tmp_path_factory.mktemp("postgresql"), postgres_url)}


def test_the_demo_class_gets_the_same_grades_on_sqlite_and_postgresql(courses):
    sqlite, postgresql = ((courses[kind] / "grades.csv").read_text() for kind in ("sqlite", "postgresql"))
    assert sqlite == postgresql
    assert {s: row["status"] for s, row in read_grades(courses["sqlite"]).items()} == {
        s: status for s, (status, _) in EXPECTED.items()}


def test_grading_again_from_another_machine_on_the_same_database_grades_nothing(courses, postgres_url, tmp_path):
    elsewhere = make_course(tmp_path / "elsewhere")  # another course folder: nothing on disk in common
    with open(elsewhere / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres_url!r}\n")
    done = grade(elsewhere, "--submissions", str(DEMO_SUBMISSIONS))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "0 graded now, 10 unchanged" in done.stdout
    assert (elsewhere / "grades.csv").read_text() == (courses["postgresql"] / "grades.csv").read_text()
    assert query(postgres_url, "SELECT COUNT(*) FROM submitted_assignment")[0][0] == 10


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def formgrader(course):
    """A jupyter server with nbgrader's extensions, started in the course folder as an instructor
    does (no token: it listens on this machine only)."""
    port = free_port()
    log = open(course.parent / f"jupyter-{port}.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password="],
        cwd=course, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/formgrader/api/status", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((course.parent / f"jupyter-{port}.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def get(base, path):
    with urllib.request.urlopen(f"{base}{path}", timeout=60) as response:
        body = response.read().decode()
    return json.loads(body) if path.startswith("/formgrader/api/") else body


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, courses):
    course = courses[request.param]
    with formgrader(course) as base:
        yield course, base


def test_the_assignment_is_released_with_every_submission_counted(served):
    _, base = served
    (assignment,) = get(base, "/formgrader/api/assignments")
    assert (assignment["name"], assignment["status"], assignment["num_submissions"]) == (ASSIGNMENT, "released", 10)
    # Only the graded notebook is listed: the ungraded Shakespeare notebook has nothing to grade.
    assert [n["name"] for n in get(base, f"/formgrader/api/notebooks/{ASSIGNMENT}")] == [ASSIGNMENT]


def test_submissions_show_status_score_time_and_name_as_grades_csv_does(served):
    course, base = served
    grades = read_grades(course)
    submissions = {s["student"]: s for s in get(base, f"/formgrader/api/submissions/{ASSIGNMENT}")}
    assert set(submissions) == set(EXPECTED)
    for student, row in grades.items():
        shown = submissions[student]
        assert shown["autograded"] is True, student  # never 'needs autograding'
        # Anything not simply graded is 'needs manual grading' in the formgrader, and flagged.
        assert shown["needs_manual_grade"] is (row["status"] != "graded"), student
        assert round(shown["score"], 2) == float(row["score"]), student
        stamp = (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").read_text()
        assert datetime.fromisoformat(shown["timestamp"]) == datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f UTC")
        assert (shown["last_name"], shown["first_name"]) == (student, ""), student  # never 'None, None'


def test_manual_grading_lists_every_student_and_flags_what_needs_a_look(served):
    course, base = served
    grades = read_grades(course)
    listed = get(base, f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    assert sorted(n["student"] for n in listed) == sorted(EXPECTED)
    for notebook in listed:
        row = grades[notebook["student"]]
        assert notebook["flagged"] is (row["status"] != "graded" or bool(row["flags"])), notebook["student"]


@pytest.mark.parametrize("student, reason", [
    ("invalid_json", "Nothing could be graded: invalid notebook"),
    ("kernel_dies", "Nothing could be graded: kernel died"),
    ("endless_loop", "Grading stopped: timed out"),
    ("renamed_notebook", "Nothing could be graded: missing notebook"),
])
def test_opening_a_submission_that_was_not_simply_graded_shows_why(served, student, reason):
    course, base = served
    listed = get(base, f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    (notebook,) = [n for n in listed if n["student"] == student]
    page = get(base, f"/formgrader/submissions/{notebook['id']}")
    assert reason in page
    status = read_grades(course)[student]["status"]
    comments = get(base, f"/formgrader/api/comments?submission_id={notebook['id']}")
    assert all(c["auto_comment"].startswith(f"{status}: ") for c in comments)
    if student == "kernel_dies":  # the student's own cells come after the reason, for review
        assert comments and "_exit" in page
