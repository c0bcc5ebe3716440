"""One submission graded on its own: a scratch course made for it, and the unit (utils.engine.unit:
nbgrader, the judge, the feedback) run there in a process of its own, with the submission's time
limit. Nothing here touches the instructor's course."""
import json
import multiprocessing
import multiprocessing.forkserver
import os
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from . import unit
from .assignment import nbgrader_env
from .intake import inspect, take_in
from .outcome import nothing_graded, outcome_from
from .sandbox import autograde_preprocessors

UNIT_CONFIG = """
# Added by the grader: how this unit runs student notebooks (utils/engine/sandbox.py).
c.Autograde.autograde_preprocessors = {preprocessors!r}
# The notebook is validated once after all of an exporter's preprocessors, not after each:
# nbformat compiles its schema anew for every such check (about 70 ms each, 30 a submission).
c.Exporter.optimistic_validation = True
"""


def make_unit_course(assignment, student, folder, scratch, settings, sandbox=True):
    """A scratch course for one submission: config, gradebook, helper files, the instructor's
    declared checks, the job, and the submission taken in (intake.take_in: no links, no special
    files).

    Returns (course, the lines take_in gave for what it left out of the submission).
    """
    course = Path(tempfile.mkdtemp(prefix="unit-", dir=scratch))
    template = assignment.course
    config = (template / "nbgrader_config.py").read_text()
    # Whatever the course's own file says, units run student code as this run decided.
    unit_config = UNIT_CONFIG.format(preprocessors=autograde_preprocessors(sandboxed=sandbox))
    (course / "nbgrader_config.py").write_text(config + unit_config)
    shutil.copy(template / "gradebook.db", course)
    # Units get the helper files, never the instructor's notebooks. Sandboxed, they are links to
    # the run's one copy: only nbgrader and the judge read them there (each copies them where
    # student code runs), and student code cannot reach this folder to change them.
    shutil.copytree(template / "source", course / "source", ignore=shutil.ignore_patterns("*.ipynb"),
                    copy_function=os.link if sandbox else shutil.copy2)
    shutil.copytree(template / "referee", course / "referee")
    dropped = take_in(folder, course / "submitted" / student / assignment.name)
    job = {"assignment": assignment.name, "student": student, "points": assignment.cells,
           "cell_timeout": settings.cell_timeout, "submission_timeout": settings.submission_timeout,
           "limits": settings.sandbox_limits or {}, "sandbox": sandbox}
    (course / "unit.json").write_text(json.dumps(job))
    return course, dropped


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
    saved per submission) and what every unit needs made ready (utils.engine.warm)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["utils.engine.unit", "utils.engine.warm"])
    return context


def start_unit_server():
    """Start the server units are forked from now, without waiting for it: it makes itself
    ready while the run does other work (releasing the assignment)."""
    unit_processes()
    multiprocessing.forkserver.ensure_running()


def run_unit(course, timeout):
    """Run utils.engine.unit for one scratch course; returns (result dict or None, timed_out).

    The result's stages (utils/engine/stages.py) get the unit's own start and finish: from
    starting its process to its grading, and from the end of its grading to its result read.
    """
    env = nbgrader_env()
    env.pop("PYTHONPATH", None)  # the student's kernel gets no path into the kit
    process = unit_processes().Process(target=unit.run_child, args=(course, env))
    launched = time.monotonic()
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
    result = json.loads(result_file.read_text())
    if "began" in result:
        result.setdefault("stages", {}).update({
            "unit start": round(result["began"] - launched, 3),
            "unit finish": round(time.monotonic() - result["ended"], 3)})
    return result, False


def grade_submission(assignment, student, folder, scratch, settings, sandbox=True):
    """Grade one submission: (Outcome, the unit's scratch course).

    folder: the submission (the notebooks and whatever else the student handed in); scratch: a
    folder for this run's scratch courses; settings: the course's grading settings.
    """
    started = time.monotonic()
    unit_course, dropped = make_unit_course(assignment, student, folder, scratch, settings, sandbox)
    made = time.monotonic()
    # From here on only the copy taken in is read.
    folder = unit_course / "submitted" / student / assignment.name
    status, message, flags = inspect(assignment, folder)
    flags = [f"left out of the submission: {line}" for line in dropped] + flags
    result = None
    if status:
        outcome = nothing_graded(assignment, student, status, message, flags)
    else:
        result, timed_out = run_unit(unit_course, settings.submission_timeout)
        notes = (result or {}).get("notes", [])
        outcome = outcome_from(assignment, student, result, timed_out, flags + notes,
                               settings.submission_timeout)
    outcome.sandboxed = sandbox
    outcome.seconds = round(time.monotonic() - started, 2)
    outcome.stages = {"scratch course": round(made - started, 3), **(result or {}).get("stages", {})}
    return outcome, unit_course
