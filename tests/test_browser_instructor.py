"""The instructor's review in nbgrader's formgrader, in a real browser.

The demo class is graded with `python -m utils grade` into a fresh course (the graded_demo_class
fixture, shared with test_formgrader.py, which checks the same data through the formgrader's
HTTP API), a jupyter server is started in the course as an instructor starts it, and Chromium
opens the formgrader's pages. What they show is compared with the course's grades.csv: the
assignment released with its submissions counted; each student's name, hand-in time, status and
score; who is flagged; and, on the page of each submission that was not simply graded, why.
"""
import re
from datetime import datetime

import nbformat
import pytest

from jupyter_browser import VIEWPORT, WatchedPage
from test_formgrader import formgrader
from test_grade import read_grades
from utils import ASSIGNMENT, RELEASE

pytestmark = pytest.mark.slow

SHOWN_STUDENT = "kernel_dies"        # the flagged student whose page is saved as a screenshot
GRADED_STUDENT = "correct"
RELEASED_NOTEBOOK = nbformat.read(RELEASE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
# nbgrader's page of one submission asks a CDN for MathJax, which an offline machine cannot
# reach (its maths then shows as TeX): the failed request, the browser's note of it, and the
# script error that follows. Everything else on the formgrader's pages must load.
MATHJAX_FROM_CDN = re.compile(r"^(request failed: GET https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/"
                              r"|console error: Failed to load resource: net::ERR_NAME_NOT_RESOLVED$"
                              r"|page error: MathJax is not defined$)")


@pytest.fixture(scope="module")
def instructor(chromium, graded_demo_class):
    """(the course, the formgrader's address, an instructor's browser page)."""
    with formgrader(graded_demo_class) as base:
        context = chromium.new_context(viewport=VIEWPORT)
        try:
            yield graded_demo_class, base, WatchedPage(context.new_page())
        finally:
            context.close()


def table(page, columns):
    """The rows of the formgrader's table on show, each {column class: text shown} for the
    given cell classes (student-id, score, ...), spaces collapsed."""
    rows = page.locator("#main-table tr")
    return [{column: " ".join(row.locator(f"td.{column}").inner_text().split()) for column in columns}
            for row in rows.all()]


def flagged(row):
    """Whether the formgrader should flag a student of grades.csv: anything not simply graded,
    and graded work with flags (an edited or deleted locked cell, the judge's doubts)."""
    return row["status"] != "graded" or bool(row["flags"])


def score(row):
    return f"{float(row['score']):g} / {float(row['max_score']):g}"


def test_the_assignment_list_shows_it_released_with_every_submission(instructor, screenshots):
    course, base, page = instructor
    page.page.goto(f"{base}/formgrader")
    rows = page.page.locator("#main-table tr")
    rows.filter(has_text=ASSIGNMENT).wait_for()
    screenshots.take(page.page, "instructor-1-assignments")
    assert table(page.page, ["name", "status", "num-submissions"]) == [
        {"name": ASSIGNMENT, "status": "released", "num-submissions": str(len(read_grades(course)))}]
    assert page.problems == []


def test_the_submissions_list_shows_each_students_name_time_status_and_score(instructor, screenshots):
    course, base, page = instructor
    grades = read_grades(course)
    page.page.goto(f"{base}/formgrader")
    page.page.locator("#main-table td.num-submissions a").click()   # the count of submissions
    page.page.wait_for_url(f"**/formgrader/manage_submissions/{ASSIGNMENT}")
    rows = page.page.locator("#main-table tr td.student-id")
    rows.nth(len(grades) - 1).wait_for()
    screenshots.take(page.page, "instructor-2-submissions", full_page=True)
    shown = {row["student-id"]: row for row in table(page.page, ["student-id", "student-name", "timestamp",
                                                                 "status", "score"])}
    assert sorted(shown) == sorted(grades)
    for student, row in grades.items():
        stamp = (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").read_text()
        handed_in = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f UTC").strftime("%Y-%m-%d %H:%M:%S UTC")
        # Anything not simply graded waits for the instructor's look; the student id stands in
        # as the last name where the intake knows no name.
        expected = {"student-id": student, "student-name": f"{student},", "timestamp": handed_in,
                    "status": "graded" if row["status"] == "graded" else "needs manual grading",
                    "score": score(row)}
        assert shown[student] == expected, f"{student} ({row['status']})"
    assert page.problems == []


def test_manual_grading_flags_and_explains_what_was_not_simply_graded(instructor, screenshots):
    course, base, page = instructor
    grades = read_grades(course)
    page.page.goto(f"{base}/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}")
    page.page.locator("#main-table tr td.name").nth(len(grades) - 1).wait_for()
    page.page.get_by_role("button", name="Show All Names").click()
    page.page.locator("#main-table a.name-shown").first.wait_for()
    screenshots.take(page.page, "instructor-3-manual-grading")
    rows = page.page.locator("#main-table tr")
    listed, links = {}, {}
    for row in rows.all():
        name = row.locator("td.name a.name-shown")
        student = name.inner_text().strip().rstrip(",")
        listed[student] = {"score": " ".join(row.locator("td.score").inner_text().split()),
                           "flagged": row.locator("td.flagged .glyphicon-flag").count() == 1}
        links[student] = name.get_attribute("href")
    assert listed == {student: {"score": score(row), "flagged": flagged(row)} for student, row in grades.items()}

    # Each submission that was not simply graded opens on a note that gives its status and why;
    # graded work opens on the notebook itself.
    not_graded = sorted(student for student, row in grades.items() if row["status"] != "graded")
    assert SHOWN_STUDENT in not_graded
    for student in not_graded:
        page.page.goto(f"{base}{links[student]}")
        note = page.page.locator(".text_cell_render").first
        heading = note.locator("h3").inner_text().rstrip("¶").strip()
        if student == SHOWN_STUDENT:
            screenshots.take(page.page, "instructor-4-flagged-student")
        assert heading.endswith(f": {grades[student]['status']}"), f"{student}: {heading!r}"
        assert grades[student]["message"] in note.inner_text(), f"{student}: {note.inner_text()!r}"
    page.page.goto(f"{base}{links[GRADED_STUDENT]}")
    title = RELEASED_NOTEBOOK.cells[0].source.splitlines()[0].lstrip("# ")
    assert page.page.locator(".text_cell_render").first.inner_text().startswith(title)
    assert [problem for problem in page.problems if not MATHJAX_FROM_CDN.search(problem)] == []
