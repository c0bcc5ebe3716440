"""One submission graded on its own, in a scratch course made for it by utils.engine.runner:

    SCRATCH/nbgrader_config.py
    SCRATCH/gradebook.db                      the assignment only, no students
    SCRATCH/source/<assignment>/              helper files (no notebooks)
    SCRATCH/submitted/<student>/<assignment>/ the submission
    SCRATCH/referee/<notebook>.json           the instructor's declared checks (utils.engine.judge)
    SCRATCH/unit.json                         the job: student, points, limits, sandbox

The unit runs nbgrader autograde, re-checks the results outside the student's kernel (the
judge), settles the scores (utils.engine.outcome.judged_scores), writes feedback with the
hidden tests' code taken out and leaves its verdict in SCRATCH/result.json. It needs nothing
else, so grading can spread units over processes and machines and record the results afterwards.
"""
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

from . import judge, stages
from .outcome import TIME_LIMIT, judged_scores, lost_points
from .sandbox import Limits, release_command, wrap_command
from .feedback import feedback_config

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests: their code is not shown)"
FEEDBACK_SECONDS = 3   # kept from the submission's time for the feedback


class _Collect(logging.Handler):
    """Keeps nbgrader's warnings and errors for the report."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def load_config(course):
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def strip_hidden(notebook, replacements=None):
    """Remove hidden-test code and tracebacks from a notebook, in place.

    A failing hidden test shows only its last line: the message is meant for the student, the
    traceback would quote the test. replacements: {grade_id: text} shown instead of what a
    hidden test cell printed (the judge's lines, which student code cannot forge).
    """
    replacements = replacements or {}
    for cell in notebook.cells:
        if cell.cell_type != "code" or HIDDEN_BEGIN not in cell.source:
            continue
        kept, hidden = [], False
        for line in cell.source.splitlines():
            if line.strip() == HIDDEN_BEGIN:
                hidden = True
                kept.append(HIDDEN_NOTE)
            elif line.strip() == HIDDEN_END:
                hidden = False
            elif not hidden:
                kept.append(line)
        cell.source = "\n".join(kept)
        outputs = []
        replacement = replacements.get(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}".strip().rstrip(":")
                outputs.append(nbformat.v4.new_output(
                    "error", ename=output.ename, evalue=output.evalue, traceback=[message]))
            elif output.output_type == "stream" and (output.name == "stderr" or replacement is not None):
                continue
            else:
                outputs.append(output)
        if replacement is not None:
            outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text=replacement))
        cell.outputs = outputs


def cell_errors(notebook, cell_timeout):
    """{grade_id: 'Name: message'} for the graded and solution cells that raised."""
    errors = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            if grade_id and output.output_type == "error":
                text = f"{output.ename}: {output.evalue}".strip().rstrip(":")[:300]
                if output.ename == "CellTimeoutError":
                    text = f"{TIME_LIMIT} ({cell_timeout} s)"
                errors[grade_id] = text
    return errors


def printed_lines(notebook):
    """{grade_id: lines it printed} of the graded cells."""
    lines = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                           if o.output_type == "stream" and o.name == "stdout")
            lines[meta["grade_id"]] = text.splitlines()
    return lines


def autograde(course, config, assignment, student, log):
    """Run nbgrader autograde for one student; returns an error line or None."""
    coursedir = CourseDirectory(config=config, root=str(course))
    coursedir.assignment_id, coursedir.student_id = assignment, student
    app = Autograde(coursedir=coursedir, config=config)
    app.force, app.create_student = True, True
    app.log.addHandler(log)
    try:
        app.start()
    except BaseException as error:  # nbgrader wraps every failure; keep its cause as one line
        return (str(error).strip().splitlines() or [type(error).__name__])[-1]
    return None


def _gradebook(course, config):
    return Gradebook(f"sqlite:///{course / 'gradebook.db'}", config.CourseDirectory.course_id)


def scores(course, config, assignment, student):
    """{grade cell: score} from the scratch gradebook."""
    with _gradebook(course, config) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return {grade.name: float(grade.score or 0)
                for notebook in submission.notebooks for grade in notebook.grades}


def set_scores(course, config, assignment, student, final):
    """Write the settled scores into the scratch gradebook (the feedback shows them)."""
    with _gradebook(course, config) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in final:
                    grade.auto_score = float(final[grade.name])
                    grade.manual_score = None
        gradebook.db.commit()


def feedback(course, config, assignment, student, replacements):
    """The feedback page (nbgrader's GenerateFeedback with the kit's template, see
    utils/engine/feedback.py), rendered from notebooks whose hidden tests are stripped and whose
    hidden test cells show the judge's lines (replacements: {grade_id: text})."""
    folder = course / "autograded" / student / assignment
    originals = {path: path.read_bytes() for path in folder.glob("*.ipynb")}
    try:
        for path in originals:
            notebook = nbformat.read(path, as_version=4)
            strip_hidden(notebook, replacements)
            nbformat.write(notebook, path)
        coursedir = CourseDirectory(config=config, root=str(course))
        coursedir.assignment_id, coursedir.student_id = assignment, student
        config = config.copy()
        config.merge(feedback_config())
        app = GenerateFeedback(coursedir=coursedir, config=config)
        app.force = True
        app.start()
    finally:
        for path, data in originals.items():
            path.write_bytes(data)


def judge_notebooks(course, job, graded, deadline):
    """{notebook: Verdict} of the judge for every notebook that declares checks."""
    verdicts = {}
    submitted = course / "submitted" / job["student"] / job["assignment"]
    helpers = course / "source" / job["assignment"]
    for referee_file in sorted((course / "referee").glob("*.json")):
        referee = judge.Referee(json.loads(referee_file.read_text()),
                                judge.load_checks(helpers / "checks.py"))
        if not referee.exercises:
            continue
        name = referee_file.stem
        budget = deadline - time.monotonic() - FEEDBACK_SECONDS
        if budget < 1:
            verdicts[name] = referee.failed_verdict("no time was left for it within the submission's limit")
            continue
        workdir = course / "judge" / name
        shutil.copytree(submitted, workdir, symlinks=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        shutil.copytree(helpers, workdir, dirs_exist_ok=True)   # the course's helpers win
        made = []

        def wrap(argv):
            made.append(wrap_command(argv, workdir, Limits(**job["limits"]), env=judge.collector_env()))
            return made[-1]

        try:
            verdicts[name] = judge.judge_notebook(
                workdir / f"{name}.ipynb", workdir, referee, wrap=wrap if job["sandbox"] else None,
                cell_seconds=job["cell_timeout"], budget=budget)
        finally:
            for command in made:
                release_command(command)
            shutil.rmtree(workdir, ignore_errors=True)
    return verdicts


def grade(course):
    """Grade the submission of the scratch course; returns the result dict (see module doc)."""
    started = time.monotonic()
    course = Path(course).resolve()
    job = json.loads((course / "unit.json").read_text())
    assignment, student = job["assignment"], job["student"]
    config = load_config(course)
    log = _Collect()
    result = {"student": student, "error": None, "scores": {}, "cell_errors": {}, "log": [],
              "flags": [], "lost": [], "notes": []}
    with stages.stage("nbgrader bookkeeping", inner=("kernel start", "cell execution")):
        result["error"] = autograde(course, config, assignment, student, log)
    graded = course / "autograded" / student / assignment
    notebooks = sorted(graded.glob("*.ipynb")) if graded.is_dir() else []
    if result["error"] is None and notebooks:
        with stages.stage("nbgrader bookkeeping"):
            kernel_scores = scores(course, config, assignment, student)
            lines = {}
            for path in notebooks:
                notebook = nbformat.read(path, as_version=4)
                result["cell_errors"].update(cell_errors(notebook, job["cell_timeout"]))
                lines.update(printed_lines(notebook))
                # What the sandbox and the output caps noted (utils/engine/output_caps.py).
                result["notes"] += notebook.metadata.get("grading_notes", [])
        with stages.stage("judge"):
            verdicts = judge_notebooks(course, job, graded, started + job["submission_timeout"])
        final, replacements = dict(kernel_scores), {}
        for verdict in verdicts.values():
            final, flags = judged_scores(final, job["points"], verdict)
            result["flags"] += flags
            if not verdict.error:
                replacements.update(hidden_lines(verdict, final, job["points"]))
        result["lost"] = lost_points(final, kernel_scores, job["points"], list(verdicts.values()),
                                     result["cell_errors"], lines)
        result["scores"] = final
        result["kernel_scores"] = kernel_scores
        result["judge"] = {name: {"error": v.error, "cell_errors": v.cell_errors}
                           for name, v in verdicts.items()}
        try:
            with stages.stage("feedback"):
                set_scores(course, config, assignment, student, final)
                feedback(course, config, assignment, student, replacements)
        except Exception as error:  # feedback is a courtesy; the grades stand without it
            result["log"].append(f"feedback not written: {error}")
    result["log"] += [line.strip().splitlines()[0] for line in log.lines if line.strip()]
    if result["error"] is not None:
        result["error"], result["failure"] = explain(result["error"], result["log"])
    result["stages"] = stages.taken()
    return result


def hidden_lines(verdict, final, points):
    """{hidden test cell: what the feedback shows under it}: the judge's line per check."""
    shown = {}
    for exercise, cell in verdict.cells.items():
        checks = verdict.checks.get(exercise, [])
        lines = [f"ok    {what}" if why is None else f"FAIL  {what}: {why}" for what, why in checks]
        lines.append(f"score: {final.get(cell, 0):g} of {points.get(cell, 0):g}")
        shown[cell] = "\n".join(lines) + "\n"
    return shown


def explain(error, log):
    """(one line for the instructor, failure kind) from nbgrader's error and log."""
    text = "\n".join(log + [error]).lower()
    if "timeout" in text or "timed out" in text:
        return "a cell did not finish within the time limit and the kernel did not stop", "timed out"
    if "kernel died" in text or "deadkernel" in text:
        return "the kernel died while running the notebook (os._exit, a crash or memory)", "kernel died"
    return error, "error"


def run_child(course, env):
    """Entry point of a unit started by utils.engine.runner in a process of its own.

    The process leads a session of its own and writes its log beside the result, so the grader
    can kill it with everything it started and show what went wrong.
    """
    os.setsid()
    log = os.open(Path(course) / "unit.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(course)
    main([str(course)])


def main(argv):
    course, = argv
    began = time.monotonic()
    result = grade(course)
    # The runner reads the unit's start and end from these (monotonic clock, shared on Linux).
    result["began"], result["ended"] = began, time.monotonic()
    target = Path(course) / "result.json"
    target.with_suffix(".tmp").write_text(json.dumps(result, indent=1))
    os.replace(target.with_suffix(".tmp"), target)


if __name__ == "__main__":
    main(sys.argv[1:])
