"""The student's day in JupyterLab, in a real browser.

JupyterLab is started the way students start it (utils/student/lab.sh, with its Jupyter config, which
copies release/dinosaur_island/ into the student's folder). The copy keeps the released notebook
as it is and gets two more: the released one with the instructor's solutions written in, and the
same with one exercise replaced by a wrong solution from tests/mutants/. Chromium runs every cell
from the Run menu, answers the Shakespeare notebook's input box and presses nbgrader's Validate
button, as a student would. What the checks must print and how long each training run is are
read from the source notebooks' stored outputs, so the test follows the notebooks when they change.
"""
import ast
import inspect
import re

import nbformat
import pytest
from playwright.sync_api import expect

import shakespeare_utils
from jupyter_browser import JupyterLab, LabPage, VIEWPORT
from test_mutations import VARIANTS
from utils import ASSIGNMENT, RELEASE, ROOT, SOURCE
from utils.submissions import filled_notebook, grade_id, instructor_solutions

pytestmark = pytest.mark.slow

NOTEBOOK = f"{ASSIGNMENT}.ipynb"                   # as released: nothing written yet
SOLVED_NOTEBOOK = f"{ASSIGNMENT}_solved.ipynb"
SHAKESPEARE = "shakespeare.ipynb"
STUDENT_LAB = ROOT / "utils" / "student" / "lab.sh"
WRONG_VARIANT = "sample_argmax"                     # tests/mutants/sample.py
WRONG_NOTEBOOK = f"{ASSIGNMENT}_{WRONG_VARIANT}.ipynb"
FIRST_LINE = "Now is the winter of our discontent"  # what the student types for Shakespeare
# What the student set-up switches off: nbgrader's exchange and instructor tools.
NBGRADER_TOOLS = ("Assignment List", "Course List", "Formgrader", "Create Assignment")
NBGRADER_ROUTES = ("formgrader", "formgraders", "assignments", "courses")
TEXT_PROGRESS_BAR = re.compile(r"\d+%\|")           # a piece of tqdm's text bar
# The one line a training run ends with when nobody watches it (the stored outputs):
# "training: 100%|██████████| 40/40 steps" gives the run's length, 40.
STORED_RUN = re.compile(r"^\w+: 100%\|[^|\n]*\| (\d+)/\1 \w+", re.MULTILINE)
TRAINING_CALLS = {"model", "fit"}                   # the dinosaur training loop, the LSTM's fit
STDOUT = "application/vnd.jupyter.stdout"
STDERR = "application/vnd.jupyter.stderr"

SOURCE_NOTEBOOK = nbformat.read(SOURCE / ASSIGNMENT / NOTEBOOK, as_version=4)
RELEASED_NOTEBOOK = nbformat.read(RELEASE / ASSIGNMENT / NOTEBOOK, as_version=4)
SOURCE_SHAKESPEARE = nbformat.read(SOURCE / ASSIGNMENT / SHAKESPEARE, as_version=4)


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


def calls(source, names):
    """The calls in a cell's code (comments do not count) of a function named in names,
    plain (model(...)) or from a module (su.fit(...))."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in names]


def training_cells(notebook):
    """Indices of the code cells that train a network: those that call model() or fit()."""
    cells = [index for index, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and calls(cell.source, TRAINING_CALLS)]
    assert cells, "the notebook has no training cell"
    return cells


def run_length(cell):
    """How many steps (or windows) a training cell's run counts, from its stored output."""
    text = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
    runs = STORED_RUN.findall(text)
    assert len(runs) == 1, f"expected one finished run in the stored output, found {runs}:\n{text[-500:]}"
    return int(runs[0])


def widget_bar_problems(lab_page, screenshots, notebook, name):
    """What is wrong with the progress bars of notebook's training cells, as lab_page shows them
    after they ran (an empty list when each cell shows one widget bar on top of its outputs,
    finished at its run's length, and no text bar); a screenshot of each cell."""
    wrong = []
    for number, index in enumerate(training_cells(notebook), start=1):
        total = run_length(notebook.cells[index])
        lab_page.show(index)
        widget_bars = lab_page.cells.nth(index).locator(".widget-hprogress, .widget-vprogress")
        try:
            expect(widget_bars).to_have_count(1, timeout=10_000)   # widgets render after idle
        except AssertionError:
            pass                                                 # reported below with the rest
        screenshots.take(lab_page.page, f"{name}-{number}")
        text_bars = [text for text in lab_page.outputs(index).all_text_contents() if TEXT_PROGRESS_BAR.search(text)]
        if widget_bars.count() != 1 or text_bars:
            wrong.append(f"cell {index}: {widget_bars.count()} widget bar(s) and {len(text_bars)} text bar(s)")
            continue
        top = lab_page.outputs(index).first
        shown = " ".join(top.inner_text().split())
        # tqdm marks its widget 'success' when it is closed with every unit counted.
        if top.locator(".progress-bar-success").count() != 1 or f" {total}/{total} " not in f" {shown} ":
            wrong.append(f"cell {index}: the first output is not a bar finished at {total}/{total}: {shown!r}")
    return wrong


def code_prompts(lab_page, notebook):
    """{cell index: its execution count as shown ('[3]:', '[ ]:', ...)} of notebook's code cells."""
    code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    return dict(zip(code, lab_page.run_state()["prompts"], strict=True))


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
    return "".join(lab_page.outputs(index, STDOUT).all_text_contents())


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
        assert nbformat.read(folder / NOTEBOOK, as_version=4) == RELEASED_NOTEBOOK
        assert len(RELEASED_NOTEBOOK.cells) == len(SOURCE_NOTEBOOK.cells), "release/ is out of date"
        solutions = instructor_solutions(SOURCE_NOTEBOOK)
        nbformat.write(filled_notebook(RELEASED_NOTEBOOK, solutions), folder / SOLVED_NOTEBOOK)
        nbformat.write(filled_notebook(RELEASED_NOTEBOOK, {**solutions, **VARIANTS[WRONG_VARIANT][2]}),
                       folder / WRONG_NOTEBOOK)
        yield lab


@pytest.fixture(scope="module")
def student(chromium, student_lab, screenshots):
    """A student's tab on the solved notebook after Run > Run All Cells."""
    context = chromium.new_context(viewport=VIEWPORT)
    page = LabPage(context.new_page())
    page.open(student_lab.url(f"lab/tree/{SOLVED_NOTEBOOK}"), len(SOURCE_NOTEBOOK.cells))
    screenshots.take(page.page, "student-1-opened")
    page.run_all()
    yield page
    context.close()


def test_a_check_run_before_its_exercise_is_written_says_so_in_one_line(chromium, student_lab, screenshots):
    check = min(visible_checks(SOURCE_NOTEBOOK))
    exercise = grade_id(SOURCE_NOTEBOOK.cells[check]).removesuffix("_visible")
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = LabPage(context.new_page())
        # The notebook as released, in a workspace of its own; Run All stops at the first error.
        page.open(student_lab.url(f"lab/workspaces/unfilled/tree/{NOTEBOOK}"), len(RELEASED_NOTEBOOK.cells))
        page.run_all()
        page.show(check)
        screenshots.take(page.page, "student-0-not-written-yet")
        shown = page.outputs(check).all_text_contents()
        assert len(shown) == 1 and len(shown[0].strip().splitlines()) == 1, (
            f"the {exercise} check did not answer in one line:\n{''.join(shown)}")
        line = shown[0].strip()
        assert line.startswith("Not written yet: ") and \
            f"{exercise} is not written yet: fill in the cell above" in line, line
        assert page.outputs(check, STDERR).count() == 1      # shown as an error, not printed
        prompts = code_prompts(page, RELEASED_NOTEBOOK)
        assert re.fullmatch(r"\[\d+\]:", prompts[check]), prompts[check]
        after = [prompt for index, prompt in prompts.items() if index > check]
        assert set(after) == {"[ ]:"}, f"Run All went on after the failed check: {after}"
        assert page.problems == []
    finally:
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


def test_each_training_cell_shows_one_live_progress_bar(student, screenshots):
    wrong = widget_bar_problems(student, screenshots, SOURCE_NOTEBOOK, "student-3-training")
    assert not wrong, "expected one widget progress bar per training cell: " + "; ".join(wrong)


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
        error = "".join(page.outputs(check, STDERR).all_text_contents())
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


def test_shakespeare_completes_the_line_a_student_types_into_the_input_box(chromium, student_lab, screenshots):
    (asking,) = [index for index, cell in enumerate(SOURCE_SHAKESPEARE.cells) if cell.cell_type == "code"
                 and any(not call.args and not call.keywords for call in calls(cell.source, {"generate_output"}))]
    n_chars = inspect.signature(shakespeare_utils.generate_output).parameters["n_chars"].default
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = LabPage(context.new_page())
        page.open(student_lab.url(f"lab/workspaces/shakespeare/tree/{SHAKESPEARE}"), len(SOURCE_SHAKESPEARE.cells))
        page.menu("Run", "Run All Cells")
        box = page.input_box(asking)
        box.press_sequentially(FIRST_LINE)
        page.show(asking - 1)                   # with the instructions above the cell
        screenshots.take(page.page, "shakespeare-1-typed")
        box.press("Enter")
        page.wait_until_run()
        page.show(asking - 1)
        screenshots.take(page.page, "shakespeare-2-poem")
        shown = printed(page, asking)
        assert "nowhere to type" not in shown, shown
        # JupyterLab echoes the answer after the question; the poem is printed below it.
        echo, found, poem = shown.partition(FIRST_LINE + "\n")
        assert found and echo.startswith("Write the beginning of your poem"), shown
        assert poem.startswith(FIRST_LINE.lower()), f"the poem does not start with the line typed:\n{poem}"
        written = poem[len(FIRST_LINE):]
        assert written.endswith("\n") and len(written) == n_chars + 1, (
            f"expected {n_chars} characters after the line typed, got {len(written) - 1}:\n{written}")
        assert re.search(r"[a-z]{2,}", written), f"the continuation has no word:\n{written}"
        wrong = widget_bar_problems(page, screenshots, SOURCE_SHAKESPEARE, "shakespeare-3-training")
        assert not wrong, "expected one widget progress bar for the extra epoch: " + "; ".join(wrong)
        assert page.problems == []
    finally:
        context.close()
