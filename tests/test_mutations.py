"""Mutation suite of the graded tests, run through the real ``nbgrader autograde``.

tests/mutants/ holds wrong solutions of each exercise (clip.py, sample.py, optimize.py, model.py)
and correct solutions written differently from the instructor's (correct.py, and published.py in
the styles of solutions students have published). Each variant is put into the released notebook
(the instructor's solution in every other cell), and one autograde run grades them all. Every
correct variant must get full marks; every wrong one must lose points on the exercise it breaks
and keep full points on the others. The judge (the re-check outside the kernel) must reach the
hidden cells' verdict on every one of them, check by check. The figures are printed at the end of
the test session under "mutation score".
"""
import re
import shutil
from pathlib import Path

import pytest

from autograde_harness import NOTEBOOK, ScratchCourse
from utils import ASSIGNMENT
from utils.engine import judge
from utils.engine.outcome import exercise_of
from utils.notebook_twin import parse_twin
from utils.submissions import grade_id

pytestmark = pytest.mark.slow

MUTANTS = Path(__file__).resolve().parent / "mutants"
CORRECT_FILES = ("correct", "published")
EXERCISES = ("clip", "sample", "optimize", "model")   # the exercises tests/mutants/ breaks
INSTRUCTOR = "instructor"
VARIANT_HEADER = re.compile(r"(\w+): (.+)", re.S)


def load_variants():
    """{slug: (exercise it breaks, or None if correct; description; {grade_id: cell source})}."""
    variants = {}
    for path in sorted(MUTANTS.glob("*.py")):
        breaks = None if path.stem in CORRECT_FILES else path.stem
        assert breaks in (None, *EXERCISES), f"{path.name}: not an exercise"
        slug = None
        for cell in parse_twin(path.read_text()).cells:
            header = VARIANT_HEADER.fullmatch(cell.source) if cell.cell_type == "markdown" else None
            if header:
                slug = header[1]
                assert slug not in variants, f"{path.name}: variant {slug} twice"
                variants[slug] = (breaks, " ".join(header[2].split()), {})
            elif cell.cell_type == "markdown":
                slug = None                     # the file's own description
            else:
                assert slug and grade_id(cell), f"{path.name}: a code cell outside a variant"
                variants[slug][2][grade_id(cell)] = cell.source
    for slug, (_, _, cells) in variants.items():
        assert cells, f"variant {slug} replaces no solution cell"
    return variants


VARIANTS = load_variants()
CORRECT = sorted(slug for slug, (breaks, _, _) in VARIANTS.items() if breaks is None)
WRONG = sorted(slug for slug, (breaks, _, _) in VARIANTS.items() if breaks is not None)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(scratch course, {student: {exercise: (score, max_score)}}) for the instructor and every variant."""
    course = ScratchCourse(tmp_path_factory.mktemp("course"))
    course.submit(INSTRUCTOR, {})
    for slug, (_, _, cells) in VARIANTS.items():
        course.submit(slug, cells)
    by_exercise = {}
    for student, cells in course.autograde().items():
        totals = {exercise: [0.0, 0.0] for exercise in EXERCISES}
        for name, (score, max_score) in cells.items():
            total = totals.setdefault(exercise_of(name), [0.0, 0.0])   # an exercise with no mutants too
            total[0] += score
            total[1] += max_score
        by_exercise[student] = {exercise: tuple(total) for exercise, total in totals.items()}
    return course, by_exercise


def graded_cell_output(course, student, exercise):
    """The output of the exercise's graded cells in the autograded notebook, to explain a score."""
    lines = []
    for cell in course.autograded_notebook(student).cells:
        if grade_id(cell) and exercise_of(grade_id(cell)) == exercise and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                text = output.get("text") or "\n".join(output.get("traceback", [])) or str(output.get("data", ""))
                lines.append(f"[{grade_id(cell)}] {text.strip()}")
    return "\n".join(lines)


def lost(scores, exercise):
    """Points of the exercise a submission did not get."""
    score, max_score = scores[exercise]
    return max_score - score


def test_the_suite_has_enough_variants():
    per_exercise = {exercise: sum(VARIANTS[slug][0] == exercise for slug in WRONG) for exercise in EXERCISES}
    assert len(CORRECT) >= 5 and len(WRONG) >= 25, (len(CORRECT), len(WRONG))
    assert min(per_exercise.values()) >= 5, per_exercise


def test_every_submission_was_graded(graded):
    _, scores = graded
    assert sorted(scores) == sorted([INSTRUCTOR, *VARIANTS])
    for student, exercises in scores.items():
        assert all(max_score > 0 for _, max_score in exercises.values()), (student, exercises)


@pytest.mark.parametrize("slug", [INSTRUCTOR, *CORRECT])
def test_correct_solution_gets_full_marks(graded, slug):
    course, scores = graded
    short = {exercise: lost(scores[slug], exercise) for exercise in EXERCISES if lost(scores[slug], exercise)}
    assert not short, f"{slug} lost points {short}:\n" + "\n".join(
        graded_cell_output(course, slug, exercise) for exercise in short)


@pytest.mark.parametrize("slug", WRONG)
def test_wrong_solution_loses_points_on_its_exercise_only(graded, slug):
    course, scores = graded
    broken = VARIANTS[slug][0]
    assert lost(scores[slug], broken) > 0, f"{slug} ({VARIANTS[slug][1]}) kept full marks on {broken}"
    others = {exercise: lost(scores[slug], exercise) for exercise in EXERCISES
              if exercise != broken and lost(scores[slug], exercise)}
    assert not others, f"{slug} breaks {broken} but also lost points on {others}:\n" + "\n".join(
        graded_cell_output(course, slug, exercise) for exercise in others)


@pytest.fixture(scope="module")
def judged(graded, tmp_path_factory):
    """{student: the judge's Verdict} for every submission of the graded course."""
    course, _ = graded
    helpers = course.root / "source" / ASSIGNMENT
    referee = judge.referee(helpers, f"{NOTEBOOK}.ipynb")
    verdicts = {}
    for student in [INSTRUCTOR, *VARIANTS]:
        workdir = tmp_path_factory.mktemp(student)
        shutil.copytree(helpers, workdir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb"))
        notebook = course.root / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        shutil.copy(notebook, workdir)
        verdicts[student] = judge.judge_notebook(workdir / notebook.name, workdir, referee)
    return referee, verdicts


def hidden_cell_lines(course, student):
    """{hidden test cell: the ok/FAIL lines it printed in the student's kernel}."""
    lines = {}
    for cell in course.autograded_notebook(student).cells:
        if grade_id(cell) and "### BEGIN HIDDEN TESTS" in cell.source:
            text = "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("name") == "stdout")
            lines[grade_id(cell)] = [line for line in text.splitlines() if line.startswith(("ok    ", "FAIL  "))]
    return lines


@pytest.mark.parametrize("slug", [INSTRUCTOR, *sorted(VARIANTS)])
def test_the_judge_reaches_the_hidden_cells_verdict_check_by_check(graded, judged, slug):
    course, _ = graded
    referee, verdicts = judged
    verdict = verdicts[slug]
    assert verdict.error is None, verdict.error
    kernel = hidden_cell_lines(course, slug)
    for exercise in referee.exercises:
        outside = referee.checks_module.report_lines(verdict.checks[exercise["name"]])
        assert kernel[exercise["cell"]] == outside, f"{slug}: {exercise['name']}"


def test_mutation_score(graded, judged, record_property):
    course, scores = graded
    referee, verdicts = judged
    agreeing = [slug for slug in [INSTRUCTOR, *VARIANTS] if not verdicts[slug].error and all(
        hidden_cell_lines(course, slug)[e["cell"]] == referee.checks_module.report_lines(verdicts[slug].checks[e["name"]])
        for e in referee.exercises)]
    full = [slug for slug in [INSTRUCTOR, *CORRECT] if not any(lost(scores[slug], e) for e in EXERCISES)]
    caught = {exercise: [slug for slug in WRONG if VARIANTS[slug][0] == exercise
                         and lost(scores[slug], exercise) > 0] for exercise in EXERCISES}
    isolated = [slug for slug in WRONG if not any(lost(scores[slug], e) for e in EXERCISES if e != VARIANTS[slug][0])]
    counts = {exercise: sum(VARIANTS[slug][0] == exercise for slug in WRONG) for exercise in EXERCISES}
    n_caught = sum(map(len, caught.values()))
    per_exercise = ", ".join(f"{e} {len(caught[e])}/{counts[e]}" for e in EXERCISES)
    summary = (f"correct solutions with full marks {len(full)}/{len(CORRECT) + 1} "
               f"(the instructor's and {len(CORRECT)} written differently); "
               f"mutants caught {n_caught}/{len(WRONG)} ({per_exercise}); "
               f"mutants keeping full points on the other exercises {len(isolated)}/{len(WRONG)}; "
               f"the judge reaching the hidden cells' verdict check by check {len(agreeing)}/{len(VARIANTS) + 1}")
    record_property("mutation score", summary)
    assert len(full) == len(CORRECT) + 1 and n_caught == len(WRONG) and len(isolated) == len(WRONG), summary
    assert len(agreeing) == len(VARIANTS) + 1, summary
