"""What grading spends per submission: the stages it records, the ungraded notebook that is not
run unless the course asks, helper files that are not copied per student."""
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from utils import ASSIGNMENT, RELEASE, ROOT, SOURCE
from utils.demo import DEMO_SUBMISSIONS
from utils.engine.stages import ORDER

pytestmark = pytest.mark.slow

UNGRADED = "shakespeare"


def course_with_both_notebooks(folder, students=1, config_lines=()):
    """A course with source/, nbgrader_config.py (plus config_lines) and correct submissions that
    hold both notebooks, as students hand them in."""
    shutil.copytree(SOURCE / ASSIGNMENT, folder / "source" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("__pycache__"))
    config = (ROOT / "nbgrader_config.py").read_text()
    (folder / "nbgrader_config.py").write_text("\n".join([config, *config_lines]) + "\n")
    for number in range(students):
        handed_in = folder / "submitted" / f"student{number}" / ASSIGNMENT
        shutil.copytree(DEMO_SUBMISSIONS / "correct" / ASSIGNMENT, handed_in)
        shutil.copy(RELEASE / ASSIGNMENT / f"{UNGRADED}.ipynb", handed_in)
    return folder


def grade(course, *args):
    done = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def outcomes(course):
    with sqlite3.connect(course / "gradebook.db") as db:
        return [json.loads(document) for document, in db.execute("select document from kit_outcome")]


def ran(path):
    """Whether any code cell of the notebook at path was run (has an execution count)."""
    notebook = nbformat.read(path, as_version=4)
    return any(cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = course_with_both_notebooks(tmp_path_factory.mktemp("course"), students=2)
    grade(course, "--jobs", "2")
    return course


def test_the_ungraded_notebook_is_not_run_but_kept_with_its_feedback(graded):
    for student in ("student0", "student1"):
        autograded = graded / "autograded" / student / ASSIGNMENT
        assert ran(autograded / f"{ASSIGNMENT}.ipynb")
        assert not ran(autograded / f"{UNGRADED}.ipynb")
        handed_in = nbformat.read(graded / "submitted" / student / ASSIGNMENT / f"{UNGRADED}.ipynb", as_version=4)
        kept = nbformat.read(autograded / f"{UNGRADED}.ipynb", as_version=4)
        assert [c.source for c in kept.cells] == [c.source for c in handed_in.cells]
        page = (graded / "feedback" / student / ASSIGNMENT / f"{UNGRADED}.html").read_text()
        assert f"{UNGRADED}: not graded (this notebook has no points; it was not run while grading)" in page
        assert "of 0 points" not in page
    assert {o["status"] for o in outcomes(graded)} == {"graded"}
    assert {o["score"] for o in outcomes(graded)} == {o["max_score"] for o in outcomes(graded)}


def test_helper_files_and_weights_are_not_kept_per_student(graded):
    helpers = {path.name for path in (SOURCE / ASSIGNMENT).iterdir() if path.suffix != ".ipynb"}
    assert "shakespeare_weights.npz" in helpers
    for kind in ("autograded", "feedback"):
        kept = {path.name for path in (graded / kind).rglob("*") if path.is_file()}
        assert not kept & helpers, f"{kind}/ holds {sorted(kept & helpers)}"


def test_every_submission_records_its_stages_and_they_add_up_to_its_time(graded):
    for outcome in outcomes(graded):
        stages = outcome["stages"]
        assert set(stages) == set(ORDER), stages
        assert all(seconds >= 0 for seconds in stages.values())
        assert stages["kernel start"] > 0 and stages["cell execution"] > 0 and stages["judge"] > 0
        # Only the intake check and turning the result into an outcome are not in a stage.
        assert sum(stages.values()) == pytest.approx(outcome["seconds"], abs=0.5), stages


def test_the_ungraded_notebook_is_run_when_the_course_asks(tmp_path):
    course = course_with_both_notebooks(tmp_path, config_lines=["c.Grading.execute_ungraded = True"])
    grade(course)
    autograded = course / "autograded" / "student0" / ASSIGNMENT
    assert ran(autograded / f"{ASSIGNMENT}.ipynb") and ran(autograded / f"{UNGRADED}.ipynb")
    page = (course / "feedback" / "student0" / ASSIGNMENT / f"{UNGRADED}.html").read_text()
    assert f"{UNGRADED}: not graded (this notebook has no points)" in page
    outcome, = outcomes(course)
    assert outcome["status"] == "graded" and outcome["score"] == outcome["max_score"]


def test_new_gradebooks_get_the_schema_revision_the_alembic_command_gives():
    from nbgrader.dbutil import _temp_alembic_ini

    from utils.engine.assignment import alembic_head, nbgrader_env
    with _temp_alembic_ini("sqlite:////nonexistent/gradebook.db") as ini:
        heads = subprocess.run(["alembic", "-c", ini, "heads"], capture_output=True, text=True,
                               env=nbgrader_env(), check=True).stdout
    assert alembic_head() == heads.split()[0]


def test_a_sandboxed_unit_links_the_helper_files_of_the_run_instead_of_copying_them(tmp_path):
    from utils.engine.assignment import prepare_assignment
    from utils.engine.runner import make_unit_course
    from utils.engine.settings import load_settings

    course = course_with_both_notebooks(tmp_path / "course")
    assignment = prepare_assignment(course, ASSIGNMENT, tmp_path)
    weights = Path("source") / ASSIGNMENT / "shakespeare_weights.npz"
    handed_in = course / "submitted" / "student0" / ASSIGNMENT
    units = {sandbox: make_unit_course(assignment, "student0", handed_in, tmp_path, load_settings(course),
                                       sandbox)[0] for sandbox in (True, False)}
    run_copy = (assignment.course / weights).stat()
    assert (units[True] / weights).stat().st_ino == run_copy.st_ino and run_copy.st_nlink == 2
    assert (units[False] / weights).stat().st_ino != run_copy.st_ino
    assert (units[False] / weights).read_bytes() == (units[True] / weights).read_bytes()


def test_grading_processes_read_notebooks_without_jsonschemas_iri_parsers():
    # Importing them costs 3 s per process (the grader, each worker, each unit server).
    probe = ("import sys, utils.engine.unit, utils.grade, nbformat\n"
             "nb = nbformat.read(sys.argv[1], as_version=4)\n"
             "nbformat.validate(nb)\n"
             "bad = nbformat.v4.new_notebook(); bad.cells.append({'cell_type': 'code'})\n"
             "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    print('caught')\n"
             "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["caught", "False"]
