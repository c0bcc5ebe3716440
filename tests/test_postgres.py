"""The course gradebook on a real PostgreSQL server: backup, one run at a time from any machine,
and a server that restarts or goes away in the middle of a run."""
import shutil
import subprocess
import sys

import psycopg
import pytest

from utils import ASSIGNMENT, ROOT
from utils.demo import DEMO_SUBMISSIONS
from utils.engine.gradebook import CourseGradebook

from postgres import new_database, postgres_database, private_cluster, query  # noqa: F401 (fixture)
from course_facts import TOTAL
from test_grade import grade, make_course, read_grades
from test_gradebook import STUDENTS, course_with_correct_submissions, start_grading, wait_for_first_record

pytestmark = pytest.mark.slow


def use_database(course, url, wait=None):
    """Point the course's nbgrader_config.py at url, as an instructor does."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
        if wait is not None:
            config.write(f"c.Grading.gradebook_wait = {wait}\n")


def recorded(url):
    try:
        return query(url, "SELECT COUNT(*) FROM kit_outcome")[0][0]
    except psycopg.Error:
        return 0


def assert_every_grade_recorded_once(url, students):
    assert query(url, "SELECT COUNT(*) FROM kit_outcome")[0][0] == len(students)
    assert query(url, "SELECT COUNT(*) FROM submitted_assignment")[0][0] == len(students)
    assert query(url, "SELECT SUM(auto_score) FROM grade")[0][0] == TOTAL * len(students)


def test_backup_is_a_pg_dump_that_restores_the_grades(tmp_path, postgres_database):
    course = make_course(tmp_path / "course")
    shutil.copytree(DEMO_SUBMISSIONS / "correct", course / "submitted" / "s1")
    first = grade(course, "--db", postgres_database)
    assert first.returncode == 0, first.stderr[-2000:]
    (course / "submitted" / "s1" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [')
    second = grade(course, "--db", postgres_database)  # backs up the gradebook with s1 at full marks first
    assert second.returncode == 0, second.stderr[-2000:]
    assert read_grades(course)["s1"]["status"] == "invalid notebook"
    dump = course / "gradebook.pgdump"
    with new_database(postgres_database) as restored:
        done = subprocess.run(["pg_restore", "--no-owner", "--dbname",
                               restored.replace("postgresql+psycopg", "postgresql"), str(dump)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert query(restored, "SELECT SUM(auto_score) FROM grade")[0][0] == TOTAL
        assert query(restored, "SELECT student FROM kit_outcome") == [("s1",)]
    assert query(postgres_database, "SELECT SUM(auto_score) FROM grade")[0][0] == 0


def test_a_second_run_from_another_machine_is_refused_while_one_holds_the_gradebook(tmp_path, postgres_database):
    holder = CourseGradebook(postgres_database, "dinosaur_island")
    holder.lock()  # a run elsewhere, with its own course folder, holds the course's lock
    try:
        course = make_course(tmp_path)
        (course / "submitted").mkdir()
        done = grade(course, "--db", postgres_database)
    finally:
        holder.close()
    assert done.returncode == 2
    assert done.stderr.startswith("error: another grading run is using the gradebook of course dinosaur_island")
    assert len(done.stderr.strip().splitlines()) == 1 and "kit:kit@" not in done.stderr  # no password shown
    again = grade(course, "--db", postgres_database)
    assert again.returncode == 2 and "no submissions" in again.stderr  # the lock went with its holder


def test_an_unreachable_server_gives_one_line_and_exit_2(tmp_path):
    course = make_course(tmp_path)
    (course / "submitted").mkdir()
    use_database(course, "postgresql+psycopg://nobody:secret@127.0.0.1:9/none", wait=2)
    done = grade(course)
    assert done.returncode == 2
    assert done.stderr.startswith("error: the gradebook database postgresql+psycopg://nobody:***@127.0.0.1:9/none "
                                  "could not be reached for 2 s")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def cluster():
    with private_cluster() as made:
        yield made


def test_server_restarted_mid_run_the_grader_waits_and_records_every_grade_once(tmp_path, cluster):
    with new_database(cluster.url) as url:
        course = course_with_correct_submissions(tmp_path)
        use_database(course, url)
        grader = start_grading(course)
        wait_for_first_record(lambda: recorded(url))
        assert recorded(url) < len(STUDENTS)
        cluster.ctl("restart")
        out, err = grader.communicate(timeout=600)
        assert grader.returncode == 0, err[-2000:]
        assert f"{len(STUDENTS)} graded now" in out
        assert_every_grade_recorded_once(url, STUDENTS)
        assert {s: row["score"] for s, row in read_grades(course).items()} == {s: f"{TOTAL:g}" for s in STUDENTS}


def test_server_gone_mid_run_stops_with_one_line_and_a_second_run_finishes(tmp_path, cluster):
    with new_database(cluster.url) as url:
        course = course_with_correct_submissions(tmp_path)
        use_database(course, url, wait=3)
        grader = start_grading(course)
        wait_for_first_record(lambda: recorded(url))
        cluster.ctl("stop")
        try:
            out, err = grader.communicate(timeout=600)
        finally:
            cluster.ctl("start")
        assert grader.returncode == 2
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "Traceback" not in err, err[-2000:]
        assert errors[0].startswith("error: the gradebook database postgresql+psycopg://postgres@127.0.0.1:")
        assert "could not be reached for 3 s" in errors[0] and errors[0].endswith("run grade again")
        recorded_before = recorded(url)
        assert 1 <= recorded_before < len(STUDENTS)
        again = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course)],
                               cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert again.returncode == 0, again.stderr[-2000:]
        assert f"{len(STUDENTS) - recorded_before} graded now" in again.stdout
        assert_every_grade_recorded_once(url, STUDENTS)

