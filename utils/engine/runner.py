"""One submission graded on its own: nbgrader in a scratch course of its own (``unit``), then the
judge's re-check outside the student's kernel. Nothing here touches the instructor's course."""
import json
import multiprocessing
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from . import judge, unit
from .assignment import nbgrader_env
from .intake import inspect
from .outcome import Outcome, apply_verdict, outcome_from
from .sandbox import Limits, release_command, wrap_command

SANDBOX_CONFIG = """
# Added by the grader: every student kernel runs in a sandbox (utils/engine/sandbox.py).
from utils.engine.sandbox import sandboxed_autograde_preprocessors
c.Autograde.autograde_preprocessors = sandboxed_autograde_preprocessors()
"""


def make_unit_course(assignment, student, folder, scratch, sandbox=True):
    """A scratch course for one submission: config, gradebook, helper files, the submission."""
    course = Path(tempfile.mkdtemp(prefix="unit-", dir=scratch))
    template = assignment.course
    config = (template / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + (SANDBOX_CONFIG if sandbox else ""))
    shutil.copy(template / "gradebook.db", course)
    # Units get the helper files, never the instructor's notebooks.
    shutil.copytree(template / "source", course / "source", ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.copytree(folder, course / "submitted" / student / assignment.name,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def kill_tree(pid):
    """Kill a process and everything it started (kernels run in sessions of their own)."""
    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=5)


def unit_processes():
    """Processes for units, forked from a server that has nbgrader imported already (about 2 s
    saved per submission)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["utils.engine.unit"])
    return context


def run_unit(course, assignment, student, timeout):
    """Run utils.engine.unit for one scratch course; returns (result dict or None, timed_out)."""
    env = nbgrader_env()
    env.pop("PYTHONPATH", None)  # the student's kernel gets no path into the kit
    process = unit_processes().Process(target=unit.run_child, args=(course, assignment, student, env))
    process.start()
    process.join(timeout)
    timed_out = process.is_alive()
    kill_tree(process.pid)  # nothing the unit started may outlive it
    process.join()
    if timed_out:
        return None, True
    result_file = course / "result.json"
    if not result_file.exists():
        log = course / "unit.log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        return {"error": tail[0] if tail else f"grader exited with {process.exitcode}",
                "scores": {}, "cell_errors": {}, "log": []}, False
    return json.loads(result_file.read_text()), False


def judge_submission(assignment, folder, scratch, sandbox, limits):
    """Re-check the submission's functions outside its kernel (utils/judge.py): a Verdict."""
    workdir = Path(tempfile.mkdtemp(prefix="judge-", dir=scratch))
    shutil.copytree(assignment.course / "source" / assignment.name, workdir, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.ipynb"))
    notebook = Path(folder) / f"{judge.NOTEBOOK}.ipynb"
    shutil.copy(notebook, workdir / notebook.name)
    made = []

    def wrap(argv):
        made.append(wrap_command(argv, workdir, Limits(**limits), env=judge.collector_env()))
        return made[-1]

    try:
        return judge.judge_notebook(workdir / notebook.name, workdir, wrap=wrap if sandbox else None,
                                    source=assignment.course / "source")
    finally:
        for command in made:
            release_command(command)
        shutil.rmtree(workdir, ignore_errors=True)


def grade_submission(assignment, student, folder, scratch, settings, sandbox=True):
    """Grade one submission: (Outcome, the unit's scratch course or None when nothing ran).

    folder: the submission (the notebooks and whatever else the student handed in); scratch: a
    folder for this run's scratch courses; settings: the course's grading settings.
    """
    started = time.monotonic()
    status, message, flags = inspect(assignment, folder)
    unit_course = None
    if status:
        outcome = Outcome(student, status, 0.0, sum(assignment.cells.values()),
                          assignment.zero(), flags, message)
    else:
        unit_course = make_unit_course(assignment, student, folder, scratch, sandbox)
        result, timed_out = run_unit(unit_course, assignment.name, student, settings.submission_timeout)
        outcome = outcome_from(assignment, student, result, timed_out, flags,
                               settings.submission_timeout, settings.cell_timeout)
        if outcome.status in ("graded", "timed out") and judge.NOTEBOOK in assignment.notebooks:
            verdict = judge_submission(assignment, folder, scratch, sandbox, settings.sandbox_limits or {})
            apply_verdict(outcome, verdict, assignment, outcome.cell_scores)
    outcome.sandboxed = sandbox
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome, unit_course
