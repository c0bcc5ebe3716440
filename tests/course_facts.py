"""What the tests know of the assignment, read from the source notebook and its declared checks
(so that changing points or checks in the notebook changes the tests' expectations with them)."""
from utils import ASSIGNMENT, SOURCE
from utils.engine import judge
from utils.engine.outcome import exercise_of

REFEREE = judge.referee(SOURCE / ASSIGNMENT, f"{ASSIGNMENT}.ipynb")
EXERCISES = REFEREE.names()


def _graded_cells():
    import nbformat
    notebook = nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"]["points"])
            for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")}


POINTS = _graded_cells()          # grade cell -> points
TOTAL = sum(POINTS.values())
EXERCISE_POINTS = {}
for _cell, _points in POINTS.items():
    EXERCISE_POINTS[exercise_of(_cell)] = EXERCISE_POINTS.get(exercise_of(_cell), 0) + _points


def hidden_checks(exercise):
    """(number of checks, points) of the exercise's hidden test cell."""
    declared = next(e for e in REFEREE.exercises if e["name"] == exercise)
    return len(declared["exercise"]["cases"]) + len(declared["exercise"]["rules"]), declared["points"]


def score_passing_only_the_rules(exercise):
    """What a submission earns whose exercise is wrong in every case but keeps every rule (an
    argmax sample draws well-formed names): the other exercises in full, and the rules' share."""
    declared = next(e for e in REFEREE.exercises if e["name"] == exercise)
    checks, points = hidden_checks(exercise)
    share = round(points * len(declared["exercise"]["rules"]) / checks, 2)
    return round(TOTAL - EXERCISE_POINTS[exercise] + share, 2)
