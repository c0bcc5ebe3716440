"""An instructor adapts the assignment after a first grading run, as the README's "Adapt the
assignment" section shows: on a copy of the kit, one file (the notebook's twin) gets a new
exercise with hidden checks and more points for clip's hidden checks; the kit builds, releases
and regrades, and a helper file changes afterwards. Real commands, real nbgrader, real sandbox."""
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from utils import ASSIGNMENT, ROOT

pytestmark = pytest.mark.slow

NEW_EXERCISE = '''
# %% [markdown]
# ### 2.3 - The largest gradient
#
# **Exercise.** Implement `largest_gradient`: the largest absolute entry of the five gradients.

# %% [solution] id=largest_gradient
def largest_gradient(gradients):
    """The largest |entry| of dWax, dWaa, dWya, db and dby (a float)."""
    ### BEGIN SOLUTION
    return max(float(np.max(np.abs(gradients[key]))) for key in ("dWax", "dWaa", "dWya", "db", "dby"))
    ### END SOLUTION

# %% [tests] id=largest_gradient_visible points=1
_example = {key: np.full((2, 2), 0.5) for key in ("dWax", "dWaa", "dWya", "db", "dby")}
_example["dWya"][1, 0] = -4.0
checks.expect({"largest_gradient": checks.run("largest_gradient", lambda: largest_gradient(_example))},
              {"largest_gradient": 4.0})
print("largest_gradient: the example matches.")

# %% [tests] id=largest_gradient_hidden reference=largest_gradient
# Hidden tests: random gradients of several sizes.
### BEGIN HIDDEN TESTS
import checks as _checks

_largest = _checks.Exercise("largest_gradient", _reference_largest_gradient)
for _seed in range(3):
    _rng = np.random.default_rng(_seed)
    _largest.case(f"random gradients, seed {_seed}",
                  {key: _rng.normal(0, 3, (3 + _seed, 2)) for key in ("dWax", "dWaa", "dWya", "db", "dby")})
_checks.grade(_largest, globals(), points=2)
### END HIDDEN TESTS
'''

# A wrong answer that switches the notebook's checks off: its hidden checks pass in the kernel.
TAMPERING = '''
import checks
checks.grade = lambda exercise, namespace, points: points
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
'''


def run(kit, *args, check=True):
    done = subprocess.run([sys.executable, "-m", "utils", *args], cwd=kit, capture_output=True,
                          text=True, timeout=900)
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def grades(course):
    with open(course / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def copy_kit(target):
    ignored = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis",
                                     "test_artefacts", "student_work", "autograded", "feedback",
                                     "submitted", "exchange", "gradebook.db*", "*.csv", "report.html")
    shutil.copytree(ROOT, target, ignore=ignored)
    return target


def install_course(kit, course, submissions):
    """The instructor's course folder: the kit's config and source, and a class of submissions."""
    for name in ("nbgrader_config.py", "nbgrader_config.json"):
        if (kit / name).exists():
            shutil.copy(kit / name, course / name)
    if (course / "source").exists():
        shutil.rmtree(course / "source")
    shutil.copytree(kit / "source", course / "source")
    if submissions is not None:
        if (course / "submitted").exists():
            shutil.rmtree(course / "submitted")
        shutil.copytree(submissions, course / "submitted")


def test_an_instructor_adapts_the_assignment_after_grading(tmp_path):
    kit = copy_kit(tmp_path / "kit")
    course = tmp_path / "course"
    course.mkdir()
    install_course(kit, course, kit / "utils" / "demo_submissions")
    first = run(kit, "grade", ASSIGNMENT, "--course", str(course), "--jobs", "2")
    before = grades(course)
    old_full = float(before["correct"]["max_score"])
    assert float(before["correct"]["score"]) == old_full

    # One file edited: the twin gets a new exercise, and clip's hidden checks 4 points instead of 2.
    twin = kit / "utils" / "notebooks" / f"{ASSIGNMENT}.py"
    text = twin.read_text()
    assert text.count("_checks.grade(_clip_checks, globals(), points=2)") == 1
    text = text.replace("_checks.grade(_clip_checks, globals(), points=2)",
                        "_checks.grade(_clip_checks, globals(), points=4)")
    text = text.replace("# %% [markdown]\n# ## 3 - Building the language model",
                        NEW_EXERCISE.strip() + "\n\n# %% [markdown]\n# ## 3 - Building the language model")
    twin.write_text(text)
    run(kit, "build", ASSIGNMENT)
    run(kit, "release")
    run(kit, "demo", "--regenerate")
    released = nbformat.read(kit / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert points["clip_hidden"] == 4 and points["largest_gradient_hidden"] == 2
    new_full = old_full + 2 + 3

    # The class hands in the new version, and one student tampers with the new exercise.
    submissions = tmp_path / "new_submissions"
    shutil.copytree(kit / "utils" / "demo_submissions", submissions)
    tamperer = submissions / "tamperer" / ASSIGNMENT
    shutil.copytree(submissions / "correct" / ASSIGNMENT, tamperer)
    notebook = nbformat.read(tamperer / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "largest_gradient":
            cell.source = "def largest_gradient(gradients):\n    return 1.0\n" + TAMPERING
    nbformat.write(notebook, tamperer / f"{ASSIGNMENT}.ipynb")
    install_course(kit, course, submissions)

    # The gradebook has graded submissions of the old version: one line, and the way out.
    refused = run(kit, "grade", ASSIGNMENT, "--course", str(course), check=False)
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "added largest_gradient" in refused.stderr and "--regrade-all" in refused.stderr
    assert grades(course) == before                       # nothing recorded was touched

    again = run(kit, "grade", ASSIGNMENT, "--course", str(course), "--jobs", "2", "--regrade-all")
    after = grades(course)
    assert list(course.glob("gradebook.db.before-regrade-*")), "the old gradebook was not kept"
    assert float(after["correct"]["max_score"]) == new_full
    assert float(after["correct"]["score"]) == new_full and float(after["correct"]["largest_gradient"]) == 3
    assert float(after["correct"]["clip"]) == 5
    # Protected outside the kernel with no change to the kit's code: lowered and flagged.
    row = after["tamperer"]
    assert float(row["largest_gradient"]) == 0, row
    assert "largest_gradient: the checks in the notebook gave 2 of 2 points" in row["flags"], row
    assert float(row["score"]) == new_full - 3
    assert "11 graded now" in again.stdout

    # A helper file changes: every student is graded again, and the summary says why.
    helper = course / "source" / ASSIGNMENT / "rnn_utils.py"
    helper.write_text(helper.read_text() + "\n# Checked for the new term.\n")
    third = run(kit, "grade", ASSIGNMENT, "--course", str(course), "--jobs", "2")
    assert "11 graded now" in third.stdout
    assert "graded again because the assignment changed (rnn_utils.py)" in third.stdout
    assert {s: r["score"] for s, r in grades(course).items()} == {s: r["score"] for s, r in after.items()}
    assert first.returncode == 0
