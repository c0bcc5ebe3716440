"""What grading one submission gave: its status, its scores, the judge's say in them, and a
reason for every point lost."""
from dataclasses import dataclass, field

STATUSES = ("graded", "timed out", "kernel died", "invalid notebook", "missing notebook",
            "grading failed")


CHECK_KINDS = {"visible": "visible check", "hidden": "hidden checks", "tests": "checks"}


def exercise_of(cell):
    """clip_visible -> clip: the exercise a grade cell belongs to (by the _visible, _hidden or
    _tests ending of its id; any other cell is an exercise of its own)."""
    base, _, suffix = cell.rpartition("_")
    return base if suffix in CHECK_KINDS and base else cell


@dataclass
class Outcome:
    """What grading one submission gave.

    exercises: {exercise: [score, max_score]}; cell_scores: {grade cell: score};
    lost: [[grade cell, check, why]] for every check that cost points (checks of a visible cell
    are the cell itself); flags: what an instructor should look at; message: why the
    submission could not be graded fully, or the reasons for the points lost, in one line.
    """
    student: str
    status: str
    score: float
    max_score: float
    exercises: dict
    flags: list = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    digest: str = ""
    sandboxed: bool = True
    cell_scores: dict = field(default_factory=dict)
    lost: list = field(default_factory=list)
    reasons: list = field(default_factory=list)   # the lines message joins
    regraded: str = ""          # why this student was graded in the run that recorded this outcome
    graded_with: dict = field(default_factory=dict)   # see utils.engine.version
    stages: dict = field(default_factory=dict)   # {stage: seconds}, see utils.engine.stages


def judged_scores(kernel_scores, points, verdict):
    """(final {cell: score}, flags) from the kernel's scores and the judge's verdict.

    The judge runs the hidden cells' own checks outside the kernel, so on an honest submission
    it gives the same score as the hidden cell. Where it gives less, the checks in the kernel
    were switched off or fooled from student code: the hidden cell gets the judge's score, the
    exercise's other cells nothing, and the student a flag. The judge never raises a score. When the re-check could not run at
    all, an exercise whose hidden checks gave full marks is scored 0 and held for review, so a
    submission cannot escape by failing only outside the kernel.

    kernel_scores: {cell: score} as nbgrader recorded them; points: {cell: max points};
    verdict: the judge's Verdict (its cells name each exercise's hidden test cell).
    """
    scores, flags = dict(kernel_scores), []
    for exercise, hidden in verdict.cells.items():
        if hidden not in points:
            continue
        cells = [cell for cell in points if exercise_of(cell) == exercise or cell == hidden]
        kernel = kernel_scores.get(hidden, 0.0)
        fraction = verdict.fractions.get(exercise, 0.0)
        judged = round(fraction * points[hidden], 2)
        if verdict.error:
            if kernel >= points[hidden] - 1e-9:
                for cell in cells:
                    scores[cell] = 0.0
                flags.append(f"{exercise}: its results could not be re-checked outside the notebook "
                             f"({verdict.error}); scored 0, review by hand")
        elif judged < kernel - 1e-9:
            # Its other cells (the visible check) ran in the same kernel and cannot be trusted
            # either: they count nothing, so that switching checks off never earns more than
            # the honest wrong answer would.
            for cell in cells:
                scores[cell] = judged if cell == hidden else 0.0
            flags.append(f"{exercise}: the checks in the notebook gave {kernel:g} of {points[hidden]:g} "
                         f"points, its real results {judged:g} ({verdict.reason(exercise)})")
    return scores, flags


def lost_points(scores, kernel_scores, points, verdicts, cell_errors, kernel_lines):
    """[[cell, check, why]] for every graded cell that did not get full points.

    Hidden cells give the judge's failed checks (the hidden tests' own description lines, never
    their code), or the lines the cell printed in the kernel when the judge did not run; other
    cells give the error they raised. kernel_scores: {cell: score} before the judge; verdicts:
    the judge's Verdicts; kernel_lines: {cell: lines the cell printed, among them "FAIL  check:
    why"}, for every graded cell the notebook still has.
    """
    hidden_of = {cell: (exercise, verdict) for verdict in verdicts
                 for exercise, cell in verdict.cells.items()}
    lost = []
    for cell, maximum in points.items():
        if scores.get(cell, 0.0) >= maximum - 1e-9:
            continue
        exercise, verdict = hidden_of.get(cell, (None, None))
        failed = []
        if verdict is not None and not verdict.error:
            failed = [[cell, check, why] for check, why in verdict.checks.get(exercise, []) if why]
        if not failed:
            failed = [[cell, *line[6:].split(": ", 1)] for line in kernel_lines.get(cell, [])
                      if line.startswith("FAIL  ") and ": " in line]
        if not failed:
            if cell in cell_errors:
                why = cell_errors[cell]
            elif cell not in kernel_lines:
                why = "the cell is missing from the notebook"
            elif scores.get(cell, 0.0) < kernel_scores.get(cell, 0.0):
                why = "lowered: the results outside the notebook fail the hidden checks"
            else:
                why = "no points"
            failed = [[cell, "the cell", why]]
        lost += failed
    return lost


TIME_LIMIT = "stopped at the cell time limit"


def nothing_graded(assignment, student, status, message, flags=()):
    """The outcome of a submission of which nothing was graded: its status, why, no points."""
    return Outcome(student, status, 0.0, sum(assignment.cells.values()), assignment.zero(),
                   list(flags), message)


def outcome_from(assignment, student, result, timed_out, flags, timeout):
    """Turn a unit's result into a status, scores per exercise and reasons."""
    if timed_out:
        return nothing_graded(assignment, student, "timed out",
                              f"grading stopped after the submission limit of {timeout} s", flags)
    error = result.get("error")
    if error or not result.get("scores"):
        status = result.get("failure") if result.get("failure") in STATUSES else "grading failed"
        return nothing_graded(assignment, student, status, (error or "nothing could be graded")[:300], flags)
    exercises = assignment.zero()
    max_score = sum(assignment.cells.values())
    cell_scores = {}
    for cell, score in result["scores"].items():
        if cell in assignment.cells:
            exercises[exercise_of(cell)][0] += score
            cell_scores[cell] = score
    cell_errors = result.get("cell_errors", {})
    timeouts = [cell for cell, text in cell_errors.items() if text.startswith(TIME_LIMIT)]
    lost = result.get("lost", [])
    reasons = [f"{cell} [{check}] {why}" if check != "the cell" else f"{cell}: {why}"
               for cell, check, why in lost]
    reasons += [f"{cell}: {text}" for cell, text in cell_errors.items() if cell not in assignment.cells]
    status = "timed out" if timeouts else "graded"
    score = round(sum(score for score, _ in exercises.values()), 2)
    return Outcome(student, status, score, max_score, exercises, flags + result.get("flags", []),
                   "; ".join(reasons)[:2000], cell_scores=cell_scores, lost=lost, reasons=reasons)
