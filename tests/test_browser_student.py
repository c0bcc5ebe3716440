"""The student's day in JupyterLab, in a real browser.

JupyterLab is started the way students start it (utils/student/lab.sh, with its Jupyter config, which
copies release/dinosaur_island/ into the student's folder). The copy then gets two notebooks: the
released one with the instructor's solutions written in, and the same with one exercise replaced
by a wrong solution from tests/mutants/. Chromium runs every cell from the Run menu and presses nbgrader's Validate
button, as a student would. What the checks must print is read from the source notebook's
stored outputs, so the test follows the notebook when its text changes.
"""
import ast
import re

import nbformat
import pytest
from playwright.sync_api import expect

from jupyter_browser import JupyterLab, LabPage, VIEWPORT
from test_mutations import VARIANTS
from utils import ASSIGNMENT, RELEASE, ROOT, SOURCE
from utils.submissions import filled_notebook, grade_id, instructor_solutions

pytestmark = pytest.mark.slow

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
STUDENT_LAB = ROOT / "utils" / "student" / "lab.sh"
WRONG_VARIANT = "sample_argmax"                     # tests/mutants/sample.py
WRONG_NOTEBOOK = f"{ASSIGNMENT}_{WRONG_VARIANT}.ipynb"
# What the student set-up switches off: nbgrader's exchange and instructor tools.
NBGRADER_TOOLS = ("Assignment List", "Course List", "Formgrader", "Create Assignment")
NBGRADER_ROUTES = ("formgrader", "formgraders", "assignments", "courses")
TEXT_PROGRESS_BAR = re.compile(r"\d+%\|")           # a piece of tqdm's text bar

SOURCE_NOTEBOOK = nbformat.read(SOURCE / ASSIGNMENT / NOTEBOOK, as_version=4)
RELEASED_NOTEBOOK = nbformat.read(RELEASE / ASSIGNMENT / NOTEBOOK, as_version=4)


def visible_checks(notebook):
    """{cell index: the line a visible check prints last when it passes}, from stored outputs."""
    checks = {}
    for index, cell in enumerate(notebook.cells):
        if (grade_id(cell) or "").endswith("_visible"):
            printed = "".join(output.get("text", "") for output in cell.outputs
                              if output.output_type == "stream" and output.name == "stdout")
            lines = [line for line in printed.splitlines() if line.strip()]
            assert lines, f"{grade_id(cell)} has no stored output: rebuild the source notebook"
            checks[index] = lines[-1]
    assert checks, "the source notebook has no visible check"
    return checks


def calls_model(source):
    """Whether a cell's code calls model(), the training loop (comments do not count)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "model"
               for node in ast.walk(tree))


def training_cells(notebook):
    """Indices of the code cells that train the network: those that call model()."""
    cells = [index for index, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and calls_model(cell.source)]
    assert cells, "the notebook has no training cell"
    return cells


def plot_cells(notebook):
    """Indices of the code cells whose stored outputs hold a picture (the loss plot)."""
    cells = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             and any("image/png" in output.get("data", {}) for output in cell.outputs)]
    assert cells, "the source notebook has no plot"
    return cells


def cell_index(notebook, name):
    return next(index for index, cell in enumerate(notebook.cells) if grade_id(cell) == name)


def printed(lab_page, index):
    """What cell index printed to stdout, as the page shows it."""
    return "".join(lab_page.outputs(index, "application/vnd.jupyter.stdout").all_text_contents())


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """JupyterLab started by utils/student/lab.sh in an empty folder (it copies the release there),
    with the solved and the wrong notebook then written into the copy."""
    root = tmp_path_factory.mktemp("student")
    (root / "jupyter").mkdir()
    with JupyterLab(["bash", str(STUDENT_LAB), str(root / "work")], cwd=root, home=root / "jupyter") as lab:
        folder = root / "work" / ASSIGNMENT
        released = sorted(path.name for path in (RELEASE / ASSIGNMENT).iterdir())
        assert sorted(path.name for path in folder.iterdir()) == released
        assert len(RELEASED_NOTEBOOK.cells) == len(SOURCE_NOTEBOOK.cells), "release/ is out of date"
        solutions = instructor_solutions(SOURCE_NOTEBOOK)
        nbformat.write(filled_notebook(RELEASED_NOTEBOOK, solutions), folder / NOTEBOOK)
        nbformat.write(filled_notebook(RELEASED_NOTEBOOK, {**solutions, **VARIANTS[WRONG_VARIANT][2]}),
                       folder / WRONG_NOTEBOOK)
        yield lab


@pytest.fixture(scope="module")
def student(chromium, student_lab, screenshots):
    """A student's tab on the solved notebook after Run > Run All Cells."""
    context = chromium.new_context(viewport=VIEWPORT)
    page = LabPage(context.new_page())
    page.open(student_lab.url(f"lab/tree/{NOTEBOOK}"), len(SOURCE_NOTEBOOK.cells))
    screenshots.take(page.page, "student-1-opened")
    page.run_all()
    yield page
    context.close()


def test_every_visible_check_prints_its_success_line(student, screenshots):
    checks = visible_checks(SOURCE_NOTEBOOK)
    student.show(min(checks))
    screenshots.take(student.page, "student-2-first-check")
    for index, line in checks.items():
        errors = student.outputs(index, "application/vnd.jupyter.stderr").all_text_contents()
        assert line in printed(student, index), (
            f"{grade_id(SOURCE_NOTEBOOK.cells[index])} did not print {line!r}; it showed:\n"
            f"{printed(student, index)}{''.join(errors)}")


def test_each_training_cell_shows_one_progress_bar(student, screenshots):
    found = {}
    for number, index in enumerate(training_cells(RELEASED_NOTEBOOK), start=1):
        student.show(index)
        widget_bars = student.cells.nth(index).locator(".widget-hprogress, .widget-vprogress")
        text_pieces = student.outputs(index, "application/vnd.jupyter.stderr").filter(has_text=TEXT_PROGRESS_BAR)
        try:
            expect(widget_bars).to_have_count(1, timeout=10_000)   # widgets render after idle
        except AssertionError:
            pass                                                 # reported below with the rest
        screenshots.take(student.page, f"student-3-training-{number}")
        found[index] = (widget_bars.count(), text_pieces.count())
    wrong = {index: counts for index, counts in found.items() if counts != (1, 0)}
    assert not wrong, "expected one widget progress bar per training cell, found: " + "; ".join(
        f"cell {index}: {bars} widget bar(s) and {pieces} text-bar piece(s)" for index, (bars, pieces) in wrong.items())


def test_the_loss_plot_is_drawn(student, screenshots):
    for number, index in enumerate(plot_cells(SOURCE_NOTEBOOK), start=1):
        student.show(index)
        screenshots.take(student.page, f"student-4-plot-{number}")
        image = student.outputs(index, "image/png").locator("img")
        expect(image).to_have_count(1)
        size = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert min(size) > 100, f"the plot in cell {index} is {size[0]}x{size[1]} pixels"


def test_validate_button_reports_success(student, screenshots):
    dialog = student.validate()
    screenshots.take(student.page, "student-5-validate-success")
    expect(dialog.locator(".validation-success"), dialog.inner_text()).to_be_visible()
    dialog.get_by_role("button", name="Ok").click()


def test_nothing_in_the_students_menus_fails(student, student_lab, screenshots):
    menus = student.menu_bar()
    assert "nbgrader" not in " ".join(menus).lower(), f"the menu bar offers nbgrader's tools: {menus}"
    headers, items = student.palette()
    offered = [item for item in items if any(tool in item for tool in NBGRADER_TOOLS)]
    assert not offered, f"the command palette offers {offered}"
    assert "nbgrader" not in " ".join(headers).lower(), f"the command palette has {headers}"
    student.menu("Run")
    screenshots.take(student.page, "student-6-menus")
    student.page.keyboard.press("Escape")
    for route in NBGRADER_ROUTES:
        response = student.page.request.get(student_lab.url(route))
        assert response.status == 404, f"/{route} answers {response.status}: the student server still serves it"
    # Everything the student did in this tab (opening, running, validating) went without a
    # console error or a failed request.
    assert student.problems == []


def test_a_wrong_exercise_fails_its_check_and_validation(chromium, student_lab, screenshots):
    broken = VARIANTS[WRONG_VARIANT][0]
    check = cell_index(SOURCE_NOTEBOOK, f"{broken}_visible")
    success_line = visible_checks(SOURCE_NOTEBOOK)[check]
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = LabPage(context.new_page())
        # A workspace of its own, so that JupyterLab does not reopen the first notebook's tab.
        page.open(student_lab.url(f"lab/workspaces/wrong-exercise/tree/{WRONG_NOTEBOOK}"),
                  len(SOURCE_NOTEBOOK.cells))
        page.run_all()
        page.show(check)
        screenshots.take(page.page, "student-7-wrong-check")
        error = "".join(page.outputs(check, "application/vnd.jupyter.stderr").all_text_contents())
        lines = error.strip().splitlines()        # one line, not a traceback
        assert len(lines) == 1 and lines[0].startswith("Check failed: "), \
            f"the {broken} check did not fail in one line:\n{error}"
        reason = lines[0].split(": ", 1)[1]        # index 2: expected 24, got 17
        assert success_line not in printed(page, check)

        dialog = page.validate()
        screenshots.take(page.page, "student-8-validate-failure")
        expect(dialog.locator(".validation-failed"), dialog.inner_text()).to_be_visible()
        first_line = SOURCE_NOTEBOOK.cells[check].source.splitlines()[0]
        failed_sources = dialog.locator(".validation-failed pre").all_text_contents()
        assert any(source.startswith(first_line) for source in failed_sources), (
            f"the failure message does not show the {broken} check:\n{dialog.inner_text()}")
        assert reason in dialog.text_content(), f"the failure message does not say {reason!r}"
    finally:
        context.close()
