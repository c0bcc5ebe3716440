"""One submission graded on its own: ``python -m utils.engine.unit SCRATCH ASSIGNMENT STUDENT``.

SCRATCH is a scratch course made by utils.engine.runner for this one submission:

    SCRATCH/nbgrader_config.py
    SCRATCH/gradebook.db                      the assignment only, no students
    SCRATCH/source/<assignment>/              helper files (no notebooks)
    SCRATCH/submitted/<student>/<assignment>/ the submission

The unit runs nbgrader autograde there, writes feedback with the hidden tests taken out, and
leaves its verdict in SCRATCH/result.json. It needs nothing else, so a grading run can spread
units over processes (and later machines) and record the results afterwards.
"""
import json
import logging
import os
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests: their code is not shown)"


class _Collect(logging.Handler):
    """Keeps nbgrader's warnings and errors for the report."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def load_config(course):
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def strip_hidden(notebook):
    """Remove hidden-test code and tracebacks from a notebook, in place.

    A failing hidden test shows only its last line (e.g. ``AssertionError: sample differs at
    index 3``): the message is meant for the student, the traceback would quote the test.
    """
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
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}".strip().rstrip(":")
                outputs.append(nbformat.v4.new_output(
                    "error", ename=output.ename, evalue=output.evalue, traceback=[message]))
            elif output.output_type == "stream" and output.name == "stderr":
                continue
            else:
                outputs.append(output)
        cell.outputs = outputs


def cell_errors(notebook):
    """{grade_id: 'Name: message'} for the graded cells that raised."""
    errors = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            if grade_id and output.output_type == "error":
                errors[grade_id] = f"{output.ename}: {output.evalue}".strip().rstrip(":")[:300]
    return errors


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


def scores(course, config, assignment, student):
    """{grade cell: [score, max_score]} from the scratch gradebook."""
    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url, config.CourseDirectory.course_id) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return {grade.name: [float(grade.score or 0), float(grade.max_score)]
                for notebook in submission.notebooks for grade in notebook.grades}


def feedback(course, config, assignment, student):
    """nbgrader's feedback HTML, rendered from notebooks whose hidden tests are stripped."""
    folder = course / "autograded" / student / assignment
    originals = {path: path.read_bytes() for path in folder.glob("*.ipynb")}
    try:
        for path in originals:
            notebook = nbformat.read(path, as_version=4)
            strip_hidden(notebook)
            nbformat.write(notebook, path)
        coursedir = CourseDirectory(config=config, root=str(course))
        coursedir.assignment_id, coursedir.student_id = assignment, student
        app = GenerateFeedback(coursedir=coursedir, config=config)
        app.force = True
        app.start()
    finally:
        for path, data in originals.items():
            path.write_bytes(data)


def grade(course, assignment, student):
    """Grade the submission in the scratch course; returns the result dict (see module doc)."""
    course = Path(course).resolve()
    config = load_config(course)
    log = _Collect()
    result = {"student": student, "error": None, "scores": {}, "cell_errors": {}, "log": [],
              "notes": []}
    result["error"] = autograde(course, config, assignment, student, log)
    graded = course / "autograded" / student / assignment
    notebooks = sorted(graded.glob("*.ipynb")) if graded.is_dir() else []
    if result["error"] is None and notebooks:
        result["scores"] = scores(course, config, assignment, student)
        for path in notebooks:
            notebook = nbformat.read(path, as_version=4)
            result["cell_errors"].update(cell_errors(notebook))
            # What the sandbox and the output caps noted (utils/engine/output_caps.py).
            result["notes"] += notebook.metadata.get("grading_notes", [])
        try:
            feedback(course, config, assignment, student)
        except Exception as error:  # feedback is a courtesy; the grades stand without it
            result["log"].append(f"feedback not written: {error}")
    result["log"] += [line.strip().splitlines()[0] for line in log.lines if line.strip()]
    if result["error"] is not None:
        result["error"], result["failure"] = explain(result["error"], result["log"])
    return result


def explain(error, log):
    """(one line for the instructor, failure kind) from nbgrader's error and log."""
    text = "\n".join(log + [error]).lower()
    if "timeout" in text or "timed out" in text:
        return "a cell did not finish within the time limit and the kernel did not stop", "timed out"
    if "kernel died" in text or "deadkernel" in text:
        return "the kernel died while running the notebook (os._exit, a crash or memory)", "kernel died"
    return error, "error"


def run_child(course, assignment, student, env):
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
    main([str(course), assignment, student])


def main(argv):
    course, assignment, student = argv
    result = grade(course, assignment, student)
    target = Path(course) / "result.json"
    target.with_suffix(".tmp").write_text(json.dumps(result, indent=1))
    os.replace(target.with_suffix(".tmp"), target)


if __name__ == "__main__":
    main(sys.argv[1:])
