"""`python -m utils grade` end to end: real nbgrader on the bundled demo submissions."""
import re
import zipfile
import csv
from collections import Counter
from datetime import datetime, timezone
import html
import os
import shutil
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from utils import ASSIGNMENT, ROOT, SOURCE
from utils.demo import DEMO_SUBMISSIONS, write_demo_submissions
from utils.submissions import filled_notebook, instructor_solutions
from utils.engine.gradebook import course_lock

from course_facts import EXERCISE_POINTS, POINTS, TOTAL, hidden_checks, score_passing_only_the_rules

pytestmark = pytest.mark.slow

# status and score each demo submission must get, from the notebook's own points and checks.
# Each exercise is graded on its own: hidden checks run later exercises with the reference
# functions. An argmax sample passes only the rule that every list is a name.
FULL = TOTAL
PARTIAL_SAMPLE = score_passing_only_the_rules("sample")
EXPECTED = {
    "correct": ("graded", FULL),
    "wrong_sample": ("graded", PARTIAL_SAMPLE),
    "syntax_error": ("graded", FULL - EXERCISE_POINTS["optimize"]),   # optimize does not compile
    "raises": ("graded", FULL - EXERCISE_POINTS["clip"]),              # clip raises
    "endless_loop": ("timed out", FULL),   # the loop after model is stopped, the functions stand
    "kernel_dies": ("kernel died", 0),
    "invalid_json": ("invalid notebook", 0),
    "edited_locked_cell": ("graded", PARTIAL_SAMPLE),   # the edited check is restored and fails
    "deleted_test_cell": ("graded", PARTIAL_SAMPLE),    # the deleted check scores nothing
    "renamed_notebook": ("missing notebook", 0),
}


def make_course(folder):
    """A course folder like the instructor's: nbgrader_config.py and source/."""
    shutil.copytree(SOURCE / ASSIGNMENT, folder / "source" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    return folder


def grade(course, *args):
    return subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)


def read_grades(course):
    with open(course / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("course"))
    shutil.copytree(DEMO_SUBMISSIONS, course / "submitted")
    done = grade(course, "--jobs", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    return course, done


def test_every_demo_submission_gets_its_status_and_score(graded_course):
    course, _ = graded_course
    grades = read_grades(course)
    got = {student: (row["status"], round(float(row["score"]), 3)) for student, row in grades.items()}
    assert got == {student: (status, round(score, 3)) for student, (status, score) in EXPECTED.items()}
    assert float(grades["wrong_sample"]["sample"]) < 1
    assert float(grades["wrong_sample"]["clip"]) == EXERCISE_POINTS["clip"]
    assert "found dinosaur_island-Copy1.ipynb" in grades["renamed_notebook"]["message"]
    assert "cell time limit" in grades["endless_loop"]["message"]


def test_only_really_changed_locked_cells_are_flagged(graded_course):
    grades = read_grades(graded_course[0])
    flagged = {student for student, row in grades.items() if row["flags"]}
    assert flagged == {"edited_locked_cell", "deleted_test_cell"}
    assert grades["edited_locked_cell"]["flags"] == "edited locked cell sample_visible"


def test_the_gradebook_holds_every_student_with_the_same_scores(graded_course):
    course, _ = graded_course
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("""SELECT student.id, SUM(grade.auto_score) FROM grade
                             JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id
                             JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id
                             JOIN student ON submitted_assignment.student_id = student.id
                             GROUP BY student.id""").fetchall()
    assert {student: round(score, 3) for student, score in rows} == {s: round(v, 3) for s, (_, v) in EXPECTED.items()}


def hidden_test_lines():
    """Lines of hidden test code that appear nowhere else in the notebook (e.g. in solutions)."""
    notebook = nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    hidden, shown = [], []
    for cell in notebook.cells:
        if "### BEGIN HIDDEN TESTS" in cell.source:
            before, rest = cell.source.split("### BEGIN HIDDEN TESTS", 1)
            body, after = rest.split("### END HIDDEN TESTS", 1)
            hidden += [line.strip() for line in body.splitlines() if len(line.strip()) > 12]
            shown.append(before + after)
        else:
            shown.append(cell.source)
    lines = [line for line in hidden if not any(line in text for text in shown)]
    assert len(lines) > 10
    return lines


def test_feedback_shows_results_but_no_hidden_test_code(graded_course):
    course, _ = graded_course
    pages = sorted((course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    students = {page.parent.parent.name for page in pages}
    assert students == set(EXPECTED)  # every student, graded or not
    hidden = hidden_test_lines()
    for page in pages:
        text = html.unescape(page.read_text())
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{page} shows hidden test code: {leaked[:3]}"
    wrong = html.unescape((course / "feedback" / "wrong_sample" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
    assert "hidden tests: their code is not shown" in wrong and "CheckFailed" in wrong
    # under the hidden cell, a line per check from the re-check outside the kernel
    checks, points = hidden_checks("sample")
    assert "FAIL  12 hidden units, seed 0: index 0: expected" in wrong
    assert f"score: {round(points / checks, 2):g} of {points:g}" in wrong


def feedback_page(course, student):
    return (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_feedback_names_each_exercise_and_its_checks_in_the_score_summary(graded_course):
    course, _ = graded_course
    page = feedback_page(course, "wrong_sample")
    summary = page[page.index("kit-summary"):page.index("</table>")]
    rows = re.findall(r"<tr class=\"(\w+)\">\s*<td><a href=\"#\w+\">(\w+)</a></td>\s*"
                      r"<td class=\"center\">([\d.]+) / ([\d.]+)</td>", summary)
    checks, hidden = hidden_checks("sample")
    share = round(hidden / checks, 2)
    points = {name: f"{EXERCISE_POINTS[name]:g}" for name in EXERCISE_POINTS}
    assert rows == [("full", "clip", points["clip"], points["clip"]),
                    ("partial", "sample", f"{share:g}", points["sample"]),
                    ("full", "optimize", points["optimize"], points["optimize"]),
                    ("full", "model", points["model"], points["model"])]
    assert "visible check</a> 0 / 1" in summary and f"hidden checks</a> {share:g} / {hidden:g}" in summary
    assert "Test cell" not in page
    assert f"{ASSIGNMENT}: {PARTIAL_SAMPLE:g} of {FULL:g} points" in page


def test_feedback_needs_no_network_and_writes_its_maths_as_mathml(graded_course):
    course, _ = graded_course
    for page in sorted((course / "feedback").glob(f"*/{ASSIGNMENT}/*.html")):
        text = page.read_text()
        assert "<script" not in text and "cdnjs" not in text and "MathJax" not in text, page
        assert not re.search(r"(src|href)=\"https?://", text), page
    text = feedback_page(course, "correct")
    assert re.search(r'<math [^>]*display="block"', text) and "$$" not in text
    assert "<mi>tanh</mi>" in text or "tanh</mi>" in text
    assert "white-space: pre-wrap" in text  # long lines wrap


@pytest.mark.parametrize("student, status, words", [
    ("invalid_json", "invalid notebook", "is not valid JSON"),
    ("kernel_dies", "kernel died", "the kernel died"),
    ("renamed_notebook", "missing notebook", "found dinosaur_island-Copy1.ipynb"),
])
def test_a_submission_nothing_could_be_graded_of_gets_a_page_that_says_why(graded_course, student, status, words):
    course, _ = graded_course
    text = html.unescape(feedback_page(course, student))
    assert f"Nothing could be graded: {status}" in text and words in text and f"Score: 0 / {FULL:g}." in text
    # The instructor sees the same reason on top of the notebook the formgrader opens.
    notebook = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert f"Nothing could be graded: {status}" in notebook.cells[0].source


def test_a_timed_out_submission_keeps_its_scores_and_says_where_grading_stopped(graded_course):
    course, _ = graded_course
    notebook = nbformat.read(course / "autograded" / "endless_loop" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert notebook.cells[0].source.startswith("### Grading stopped: timed out")
    assert "cell time limit" in notebook.cells[0].source and f"Score: {FULL:g} / {FULL:g}" in notebook.cells[0].source
    assert "model" in feedback_page(course, "endless_loop")  # nbgrader's own page, with its scores


def test_every_student_is_kept_in_submitted_with_the_time_it_was_handed_in(graded_course):
    course, _ = graded_course
    for student in EXPECTED:
        folder = course / "submitted" / student / ASSIGNMENT
        newest = max(p.stat().st_mtime for p in (DEMO_SUBMISSIONS / student / ASSIGNMENT).iterdir())
        stamp = (folder / "timestamp.txt").read_text()
        assert stamp == datetime.fromtimestamp(newest, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [p.name for p in (DEMO_SUBMISSIONS / student / ASSIGNMENT).iterdir()] + ["timestamp.txt"])


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars, self.open, self.in_title, self.titles = [], [], False, []

    def handle_starttag(self, tag, attrs):
        if tag == "rect" and dict(attrs).get("class") == "bar":
            self.bars.append(float(dict(attrs)["height"]))
        if tag not in ("meta", "br", "img"):
            self.open.append(tag)
        self.in_title = tag == "title"

    def handle_data(self, data):
        if self.in_title and self.open[-2:-1] == ["rect"]:
            self.titles.append(data)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, f"</{tag}> does not close the open tag"


def test_report_is_well_formed_html_with_the_score_histogram(graded_course):
    course, done = graded_course
    page = _Page()
    text = (course / "report.html").read_text()
    page.feed(text)
    assert page.open == []
    # one bar per whole score, each as tall as its count, the count in its tooltip
    counts = Counter(int(score + 0.5) for _, score in EXPECTED.values())
    top = int(FULL)
    assert len(page.bars) == top + 1
    tallest = max(page.bars)
    assert [round(bar / tallest * max(counts.values())) for bar in page.bars] == \
        [counts.get(score, 0) for score in range(top + 1)]
    assert page.titles[top] == f"score {top}: {counts[top]} students"
    for student in EXPECTED:
        assert f"<td>{student}</td>" in text
    assert "10 graded now" in done.stdout and "report.html" in done.stdout


def test_grading_a_course_from_another_folder_uses_that_course(tmp_path):
    """--course names the course wherever the command runs: the gradebook gets the course's own
    assignment, not one found in the current folder."""
    course = make_course(tmp_path / "course")
    shutil.copytree(DEMO_SUBMISSIONS / "correct", course / "submitted" / "ada")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "source" / ASSIGNMENT).mkdir(parents=True)   # a folder that looks like a course
    done = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course)],
                          cwd=elsewhere, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert read_grades(course)["ada"]["score"] == f"{FULL:g}"
    with sqlite3.connect(course / "gradebook.db") as db:
        cells = db.execute("SELECT COUNT(*) FROM grade_cells").fetchone()[0]
    assert cells == len(POINTS)
    assert not (elsewhere / "gradebook.db").exists() and not (elsewhere / "release").exists()


def test_a_second_run_is_refused_while_one_holds_the_course(tmp_path):
    course = make_course(tmp_path)
    (course / "submitted").mkdir()
    with course_lock(course):
        done = grade(course)
    assert done.returncode == 2
    assert done.stderr.startswith("error: another grading run (pid ") and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("breakage, message", [
    ("no source", "no assignment source at"),
    ("bad config", "nbgrader_config.py cannot be read"),
    ("no submissions", "no submissions folder"),
])
def test_a_broken_course_gives_one_line_and_a_non_zero_exit(tmp_path, breakage, message):
    course = make_course(tmp_path)
    (course / "submitted").mkdir()
    if breakage == "no source":
        shutil.rmtree(course / "source")
    elif breakage == "bad config":
        (course / "nbgrader_config.py").write_text("c = get_config()\nc.Grading.submission_timeout = (\n")
    else:
        (course / "submitted").rmdir()
    done = grade(course)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_demo_submissions_are_made_from_the_current_release(tmp_path):
    fresh = write_demo_submissions(tmp_path / "demo")
    ours = sorted(p.relative_to(DEMO_SUBMISSIONS) for p in DEMO_SUBMISSIONS.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert ours == theirs
    stale = [str(p) for p in ours if (DEMO_SUBMISSIONS / p).read_bytes() != (fresh / p).read_bytes()]
    assert not stale, f"run `python -m utils demo --regenerate`: {stale}"


def visible_failures_when_graded(course, student):
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("""SELECT base_cell.name FROM grade
                             JOIN base_cell ON grade.cell_id = base_cell.id
                             JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id
                             JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id
                             WHERE submitted_assignment.student_id = ? AND grade.auto_score = 0""",
                          (student,)).fetchall()
    return sorted(name for (name,) in rows if name.endswith("_visible"))


@pytest.mark.parametrize("student", ["correct", "wrong_sample", "raises"])
def test_validate_gives_the_same_verdict_on_visible_checks_as_grading(graded_course, tmp_path, student):
    course, _ = graded_course
    shutil.copytree(ROOT / "release" / ASSIGNMENT, tmp_path / ASSIGNMENT)
    notebook = tmp_path / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    shutil.copy(DEMO_SUBMISSIONS / student / ASSIGNMENT / notebook.name, notebook)
    done = subprocess.run([sys.executable, "-m", "utils", "validate", str(notebook)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    failing = visible_failures_when_graded(course, student)
    assert done.returncode == (1 if failing else 0), done.stdout + done.stderr
    reported = done.stdout.count("FAILED  check")
    if student == "raises":
        # Grading runs each exercise's checks with the reference versions of the other
        # exercises' functions, so a raising clip costs only clip's points there; validation
        # runs the student's own functions throughout and also reports optimize and model.
        assert failing == ["clip_visible"] and reported == 3
    else:
        assert reported == len(failing)


def test_validate_refuses_a_broken_notebook_in_one_line(tmp_path):
    broken = tmp_path / "dinosaur_island.ipynb"
    broken.write_text('{"cells": [')
    done = subprocess.run([sys.executable, "-m", "utils", "validate", str(broken)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: dinosaur_island.ipynb is not valid notebook JSON (Expecting value, line 1)"


@pytest.mark.parametrize("path, student", [
    ("/c/downloaded/a/extracted/smithjane_12345_67890_dinosaur_island.ipynb", "smithjane"),
    ("/c_1_2_x/extracted/smithjane_late_12345_67890_dinosaur_island-1.ipynb", "smithjane"),
    ("/c/extracted/Jane Smith_12345_assignsubmission_file_dinosaur_island.ipynb", "Jane Smith"),
    ("/c/extracted/x/Jane Smith_12345_assignsubmission_file_/dinosaur_island.ipynb", "Jane Smith"),
])
def test_default_zip_pattern_reads_common_lms_names_from_absolute_paths(path, student):
    from utils.collect import DEFAULT_PATTERN
    match = re.match(DEFAULT_PATTERN, path)
    assert match and match["student_id"] == student and match["file_id"] == "dinosaur_island"


def test_grading_from_lms_zip_exports(tmp_path):
    course = make_course(tmp_path / "course")
    shutil.copytree(ROOT / "release", course / "release")
    exports = []
    handed_in = (2026, 3, 1, 12, 30, 0)  # the date the learning-management system gave the file
    for name, members in {"canvas.zip": {"smithjane_12345_67890_dinosaur_island.ipynb": "correct"},
                          "moodle.zip": {"Li Wei_777_assignsubmission_file_/dinosaur_island.ipynb": "raises"}}.items():
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            for member, demo in members.items():
                data = (DEMO_SUBMISSIONS / demo / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
                archive.writestr(zipfile.ZipInfo(member, date_time=handed_in), data)
        exports.append(str(tmp_path / name))
    done = grade(course, "--zip", *exports)
    assert done.returncode == 0, done.stderr[-2000:]
    grades = read_grades(course)
    assert {s: float(row["score"]) for s, row in grades.items()} == {
        "smithjane": FULL, "Li Wei": FULL - EXERCISE_POINTS["clip"]}
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("""SELECT student.id, first_name, last_name, timestamp FROM student
                             JOIN submitted_assignment ON submitted_assignment.student_id = student.id""").fetchall()
    # Moodle's file names carry the student's name; Canvas's only an id, which stands in as name.
    assert sorted(rows) == [("Li Wei", "Li", "Wei", "2026-03-01 12:30:00.000000"),
                            ("smithjane", "", "smithjane", "2026-03-01 12:30:00.000000")]
    stamp = course / "submitted" / "Li Wei" / ASSIGNMENT / "timestamp.txt"
    assert stamp.read_text() == "2026-03-01 12:30:00.000000 UTC"
    # The same exports collected again: nothing changed, nothing is graded again.
    again = grade(course, "--zip", *exports)
    assert again.returncode == 0 and "0 graded now, 2 unchanged" in again.stdout, again.stderr[-2000:]


def test_grading_again_is_idempotent_regrades_only_new_submissions_and_records_failures(graded_course, tmp_path):
    course, _ = graded_course
    before = (course / "grades.csv").read_text()
    again = grade(course, "--jobs", "2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0 graded now, 10 unchanged" in again.stdout
    assert (course / "grades.csv").read_text() == before
    # syntax_error hands in a fixed notebook: only that student is graded again.
    # (This changes the shared course, so this test comes last in the file.)
    fixed = course / "submitted" / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    shutil.copy(fixed, course / "submitted" / "syntax_error" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    third = grade(course)
    assert third.returncode == 0, third.stderr[-2000:]
    assert "1 graded now, 9 unchanged" in third.stdout
    assert float(read_grades(course)["syntax_error"]["score"]) == FULL
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == 10
    # A re-grade that fails replaces the earlier score (plain nbgrader would keep the 12).
    (course / "submitted" / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [')
    fourth = grade(course)
    assert fourth.returncode == 0, fourth.stderr[-2000:]
    assert read_grades(course)["correct"]["status"] == "invalid notebook"
    with sqlite3.connect(course / "gradebook.db") as db:
        total = db.execute("""SELECT SUM(grade.auto_score) FROM grade
                              JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id
                              JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id
                              WHERE submitted_assignment.student_id = 'correct'""").fetchone()[0]
    assert total == 0


def test_without_bubblewrap_grading_refuses_and_names_the_flag(tmp_path):
    course = make_course(tmp_path)
    (course / "submitted").mkdir()
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}  # no bwrap on PATH
    done = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert "bubblewrap is not installed" in done.stderr and "--no-sandbox" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_no_sandbox_grades_with_a_loud_warning_in_output_and_report(tmp_path):
    course = make_course(tmp_path)
    shutil.copytree(DEMO_SUBMISSIONS / "correct", course / "submitted" / "correct")
    done = grade(course, "--no-sandbox")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "WARNING: grading WITHOUT a sandbox" in done.stderr
    report = (course / "report.html").read_text()
    assert "class='warning'" in report and "WITHOUT a sandbox" in report and "correct" in report
    assert float(read_grades(course)["correct"]["score"]) == FULL


def test_the_judge_lowers_only_exercises_whose_hidden_checks_it_contradicts():
    from utils.engine.judge import Verdict
    from utils.engine.outcome import judged_scores

    points = {"clip_visible": 1, "clip_hidden": 2, "sample_visible": 1, "sample_hidden": 2}
    cells = {"clip": "clip_hidden", "sample": "sample_hidden"}

    def verdict(clip, sample, error=None):
        checks = {"sample": [("case 1", None), ("case 2", "index 3: expected 5, got 7"), ("case 3", "differs")]}
        return Verdict(fractions={"clip": clip, "sample": sample}, checks=checks, cells=cells, error=error)

    # An honest wrong sample: the judge agrees with the hidden cell's partial credit: unchanged.
    honest = {"clip_visible": 1, "clip_hidden": 2, "sample_visible": 0, "sample_hidden": 0.67}
    assert judged_scores(honest, points, verdict(1.0, 1 / 3)) == (honest, [])
    # Hidden checks at full marks in the kernel, the judge gives 1/3: real score, flagged.
    tampered = {"clip_visible": 1, "clip_hidden": 2, "sample_visible": 1, "sample_hidden": 2}
    scores, flags = judged_scores(tampered, points, verdict(1.0, 1 / 3))
    assert scores == {"clip_visible": 1, "clip_hidden": 2, "sample_visible": 0.0, "sample_hidden": 0.67}
    assert flags == ["sample: the checks in the notebook gave 2 of 2 points, its real results 0.67 "
                     "(case 2: index 3: expected 5, got 7)"]
    # The judge never raises a score.
    low = {"clip_visible": 1, "clip_hidden": 1, "sample_visible": 1, "sample_hidden": 2}
    assert judged_scores(low, points, verdict(1.0, 1.0)) == (low, [])
    # The re-check itself failed: exercises it could not confirm at full marks are held for review.
    scores, flags = judged_scores(tampered, points, verdict(0.0, 0.0, error="timed out"))
    assert sum(scores.values()) == 0 and len(flags) == 2 and all("review by hand" in f for f in flags)
    assert judged_scores(honest, points, verdict(0.0, 0.0, error="timed out"))[0]["sample_hidden"] == 0.67


def test_every_lost_point_has_a_reason_in_grades_csv_and_the_report(graded_course):
    course, _ = graded_course
    report = html.unescape((course / "report.html").read_text())
    for student, row in read_grades(course).items():
        if row["status"] not in ("graded", "timed out"):
            continue
        lost = [name for name, points in EXERCISE_POINTS.items() if float(row[name]) < points]
        for name in lost:
            assert f"{name}_" in row["message"], (student, name, row["message"])
        if lost:
            student_part = report[report.index(f"<li><b>{student}</b>"):]
            student_part = student_part[:student_part.index("</ul>")]
            assert all(f"{name}_" in student_part for name in lost), (student, student_part)


def test_the_report_counts_the_checks_the_class_failed(graded_course):
    course, _ = graded_course
    grades = read_grades(course)
    ran = sum(row["status"] in ("graded", "timed out") for row in grades.values())
    failed_sample = sum(float(row["sample"]) < EXERCISE_POINTS["sample"] for row in grades.values()
                        if row["status"] in ("graded", "timed out"))
    report = html.unescape((course / "report.html").read_text())
    table = report[report.index("Checks the class failed"):report.index("<h2>Students</h2>")]
    rows = re.findall(r"<tr><td>(\w+)</td><td>([^<]+)</td><td>(\d+) of (\d+)</td>", table)
    assert ("sample", "sample_hidden: 12 hidden units, seed 0", str(failed_sample), str(ran)) in rows
    assert ("sample", "sample_visible", str(failed_sample), str(ran)) in rows
    counts = [int(count) for exercise, _, count, _ in rows if exercise == "sample"]
    assert counts == sorted(counts, reverse=True)      # the most failed first


def test_models_written_as_students_published_them_get_full_marks_through_grade(tmp_path):
    """A model() that strips without lower-casing and one that lower-cases again (the 2021 and
    v3 notebooks), graded by the kit's own command."""
    from test_mutations import VARIANTS

    course = make_course(tmp_path)
    release = nbformat.read(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = instructor_solutions(nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    for slug in ("published_model_strip_only", "published_model_lower_strip"):
        folder = course / "submitted" / slug / ASSIGNMENT
        folder.mkdir(parents=True)
        notebook = filled_notebook(release, {**solutions, **VARIANTS[slug][2]})
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    done = grade(course, "--jobs", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    assert {s: (r["status"], float(r["score"])) for s, r in read_grades(course).items()} == {
        "published_model_strip_only": ("graded", FULL), "published_model_lower_strip": ("graded", FULL)}


def test_where_grades_are_kept_or_run_is_no_reason_to_regrade_but_a_limit_is(tmp_path):
    from utils.engine.version import settings_digest

    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copy(ROOT / "nbgrader_config.json", tmp_path)
    config = tmp_path / "nbgrader_config.py"
    before = settings_digest(tmp_path)
    config.write_text(config.read_text() + "\n# a comment\n"
                      'c.CourseDirectory.db_url = "postgresql+psycopg://grader@db/course"\n'
                      'c.Grading.scheduler = "tcp://grader1:8786"\nc.Grading.gradebook_wait = 5\n')
    assert settings_digest(tmp_path) == before
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path, moved, ignore=shutil.ignore_patterns("moved"))
    assert settings_digest(moved) == before   # the exchange's path follows the folder
    config.write_text(config.read_text() + "c.ExecutePreprocessor.timeout = 20\n")
    assert settings_digest(tmp_path) != before
