"""One submission as a task of the grading cluster (utils/engine/cluster.py).

The task is runner.grade_submission, the same unit on a worker of this machine's cluster or of
a remote one. Everything crosses as bytes, so workers share no filesystem with the coordinator:

- the prepared assignment (its scratch course: helper files, release, gradebook, referee) is
  sent once as an archive and unpacked once per worker machine, keyed by its digest;
- the submission goes as an archive of what the intake takes in (no links, no special files;
  what it left out travels as the intake's note, so the flags are the same as on one machine);
- the worker answers with the outcome and an archive of the graded notebooks, the student's
  own small files and the feedback pages, the files records.kept_files keeps, within
  RESULT_BYTES.

The coordinator writes the answer's files straight into the course (place_answer), then
records.Course.store_many records the outcome as it records a unit run here.
"""
import os
import shutil
import socket
import tempfile
from dataclasses import asdict
from pathlib import Path

from .. import KitError
from .assignment import Assignment
from .intake import take_in_archive
from .outcome import Outcome, nothing_graded
from .records import kept_files
from .runner import grade_submission
from .sandbox import sandbox_problem
from .transfer import pack, unpack
from .version import _digest, kit_digest

SUBMISSION_BYTES = 256 * 2**20   # as much as one sandbox may write (its folder cap's default)
RESULT_BYTES = 64 * 2**20        # graded notebooks, the student's small files, feedback pages
ASSIGNMENT_BYTES = 1 * 2**30
CACHE = Path(tempfile.gettempdir()) / "kit-assignments"


# -- on the coordinator

def assignment_bundle(assignment):
    """The prepared assignment as one value to send to every worker."""
    data, _ = pack(assignment.course)
    return {"digest": _digest(data), "kit": kit_digest(), "name": assignment.name,
            "notebooks": assignment.notebooks, "cells": assignment.cells, "files": data}


def submission_bytes(folder):
    """The submission in folder as the intake takes it in, as an archive; None when it is larger
    than SUBMISSION_BYTES."""
    return take_in_archive(folder, SUBMISSION_BYTES)


def failed(assignment, student, reason):
    """The outcome of a submission the cluster could not grade, with the reason."""
    return nothing_graded(assignment, student, "grading failed", reason)


def too_large(assignment, student):
    """The outcome of a submission too large to send to a worker."""
    return failed(assignment, student, f"the submission holds more than {SUBMISSION_BYTES // 2**20} MB; "
                                       "nothing was graded")


def place_answer(answer, assignment, student, root):
    """The Outcome of a worker's answer for student, its files written straight into the course
    at root: autograded/ and feedback/ of that student (what an earlier grading left there is
    replaced), and nowhere else."""
    outcome = Outcome(**answer["outcome"])
    if outcome.student != student:
        raise KitError(f"a grading worker answered for {outcome.student} where {student} was asked")
    places = [f"{kind}/{student}/{assignment.name}" for kind in ("autograded", "feedback")]
    for place in places:
        shutil.rmtree(Path(root) / place, ignore_errors=True)
    unpack(answer["files"], root, RESULT_BYTES, within=places)
    return outcome


# -- on a worker

def grade_task(bundle, student, submission, settings, sandbox):
    """Grade one submission on this worker; returns {"outcome": dict, "files": archive,
    "worker": host name}."""
    if sandbox and sandbox_problem():
        raise KitError(f"worker {socket.gethostname()} cannot sandbox student code: {sandbox_problem()}")
    assignment = assignment_here(bundle)
    with tempfile.TemporaryDirectory(prefix="kit-task-", ignore_cleanup_errors=True) as scratch:
        folder = Path(scratch) / "handed-in" / student / assignment.name
        unpack(submission, folder, SUBMISSION_BYTES)
        outcome, unit_course = grade_submission(assignment, student, folder, scratch, settings, sandbox)
        files, cut = answer_files(unit_course, student, assignment.name)
    if cut:
        outcome.flags.append(f"autograded/ copy cut at {RESULT_BYTES // 2**20} MB: "
                             f"{len(cut)} of the student's files left out")
    return {"outcome": asdict(outcome), "files": files, "worker": socket.gethostname()}


def answer_files(unit_course, student, name):
    """An archive of what records.Course.store copies back from a unit's course: (bytes, the
    relative paths the cap left out). Notebooks and feedback pages come first."""
    handed_in = unit_course / "submitted" / student / name
    first, rest = [], []
    for kind in ("autograded", "feedback"):
        made = unit_course / kind / student / name
        for relative in kept_files(made, handed_in if kind == "autograded" else None) if made.is_dir() else []:
            path = f"{kind}/{student}/{name}/{relative}"
            (first if relative.endswith((".ipynb", ".html")) and "/" not in relative else rest).append(path)
    return pack(unit_course, first + rest, cap=RESULT_BYTES)   # tar makes the folders


def assignment_here(bundle):
    """The assignment of bundle, unpacked on this machine once (CACHE/<digest>/) and reused by
    every task and worker process here."""
    if bundle["kit"] != kit_digest():
        raise KitError(f"the kit on worker {socket.gethostname()} differs from the coordinator's "
                       f"(grading code {kit_digest()}, expected {bundle['kit']}): "
                       "set the worker up from the same version of the kit")
    target = CACHE / bundle["digest"]
    if not target.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=CACHE))
        unpack(bundle["files"], partial, ASSIGNMENT_BYTES)
        try:
            os.rename(partial, target)
        except OSError:   # another worker process here unpacked it first
            shutil.rmtree(partial, ignore_errors=True)
    return Assignment(bundle["name"], target, bundle["notebooks"], bundle["cells"])
