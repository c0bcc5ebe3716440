"""What grading one submission gave: its status, its scores, and how the judge's verdict applies."""
from dataclasses import dataclass, field

STATUSES = ("graded", "timed out", "kernel died", "invalid notebook", "missing notebook",
            "grading failed")


@dataclass
class Outcome:
    """What grading one submission gave. exercises: {exercise: [score, max_score]}."""
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


def outcome_from(assignment, student, result, timed_out, flags, timeout, cell_timeout):
    """Turn a unit's result into a status and scores per exercise."""
    exercises = assignment.zero()
    max_score = sum(assignment.cells.values())
    if timed_out:
        return Outcome(student, "timed out", 0.0, max_score, exercises, flags,
                       f"grading stopped after the submission limit of {timeout} s")
    error = result.get("error")
    if error or not result.get("scores"):
        status = result.get("failure") if result.get("failure") in STATUSES else "grading failed"
        return Outcome(student, status, 0.0, max_score, exercises, flags,
                       (error or "nothing could be graded")[:300])
    cell_scores = {}
    for cell, (score, _) in result["scores"].items():
        if cell in assignment.cells:
            exercises[assignment.exercise_of(cell)][0] += score
            cell_scores[cell] = score
    cell_errors = result.get("cell_errors", {})
    timeouts = [cell for cell, text in cell_errors.items() if text.startswith("CellTimeoutError")]
    for cell in timeouts:
        cell_errors[cell] = f"stopped at the cell time limit ({cell_timeout} s)"
    status = "timed out" if timeouts else "graded"
    failed = [f"{cell}: {text}" for cell, text in cell_errors.items()]
    message = "; ".join(failed)[:500]
    score = sum(score for score, _ in exercises.values())
    return Outcome(student, status, score, max_score, exercises, flags, message, cell_scores=cell_scores)



def apply_verdict(outcome, verdict, assignment, cell_scores):
    """Grade an exercise on its real results when its hidden checks gave full marks but the
    judge's re-run of the student's functions (outside the kernel) fails: the checks were
    switched off from student code. Hidden checks cover every case the judge tries, so an
    honest solution cannot pass them all and fail the judge. Changes cell_scores ({cell: score})
    and the outcome in place."""
    for exercise in outcome.exercises:
        fraction = verdict.fractions.get(exercise, 1.0)
        cells = [c for c in assignment.cells if assignment.exercise_of(c) == exercise]
        hidden_full = [c for c in cells if c.endswith("_hidden")
                       and cell_scores.get(c, 0) >= assignment.cells[c] - 1e-9]
        if fraction >= 1.0 or not hidden_full:
            continue
        for cell in cells:
            cell_scores[cell] = min(cell_scores.get(cell, 0.0), round(fraction * assignment.cells[cell], 2))
        outcome.exercises[exercise][0] = sum(cell_scores[c] for c in cells)
        if verdict.error:  # e.g. a loop that only runs outside the kernel: review by hand
            outcome.flags.append(f"{exercise}: its results could not be re-checked outside the "
                                 f"notebook ({verdict.error}); scored 0, review by hand")
        else:
            reason = verdict.reasons.get(exercise) or "results differ"
            outcome.flags.append(f"{exercise}: notebook checks passed but its real results fail ({reason})")
    outcome.score = sum(score for score, _ in outcome.exercises.values())


