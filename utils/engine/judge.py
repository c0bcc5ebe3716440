"""Re-check a submission outside the student's control, with the notebook's own declared checks.

The hidden test cells run in the student's own kernel, after the student's code, so a
submission can switch them off (patched comparison functions, objects that compare equal to
anything, a custom exception handler). The judge does not trust anything that happens in that
kernel. It runs the same checks elsewhere:

1. The referee (once per release): the collector (utils/engine/collector.py) runs the
   instructor's source notebook in a fresh ``python -I`` process. Each hidden test cell
   declares its exercise's checks (``checks.Exercise`` and ``checks.grade`` in the assignment's
   checks.py); the referee hands back every declaration with the reference's results.
2. Per submission: the collector runs the student's notebook in a sandbox, calls the student's
   functions on the declared cases where each hidden test cell stands, and sends back only plain
   data (JSON, size-capped). After each exercise it receives the instructor's version of that
   function, never before.
3. The grader compares the two with the same ``checks.verdict`` the hidden cell ran in the
   notebook, loaded from the released assignment, not from the submission.

So the hidden cells and the judge cannot drift: same cases, same comparisons, same rules, and
on the same results the same verdict.
"""
import hashlib
import importlib.util
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import KitError
from ..notebook_twin import reference_block, solution_code

COLLECTOR = Path(__file__).with_name("collector.py")
COLLECTOR_COPY = ".collector.py"       # the collector's name in the working folder
JOB = ".collector_job.json"            # what it is to do, beside it
MAX_LINE_BYTES = 8_000_000            # one exercise's observations; real ones take well under 1 MB


@dataclass
class Verdict:
    """The judge's grade of one notebook.

    checks: exercise -> [(check description, None or what went wrong)];
    fractions: exercise -> share of its checks passed, in [0, 1];
    cells: exercise -> the grade cell of its hidden tests;
    error: one line when the re-check failed as a whole (then every fraction is 0);
    cell_errors: one line per notebook cell that raised (they do not stop the checks).
    """
    fractions: dict
    checks: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    error: str | None = None
    cell_errors: list = field(default_factory=list)

    def reason(self, exercise):
        """The first failed check of the exercise, as one line, or None."""
        for description, problem in self.checks.get(exercise, []):
            if problem:
                return f"{description}: {problem}"
        return None


@dataclass
class Referee:
    """What the instructor's notebook declares: its exercises in notebook order, each a dict
    with name, cell (grade id of its hidden tests), points, exercise (the declaration),
    want (the reference's observations) and the instructor's solution code (solution)."""
    exercises: list
    checks_module: object

    def names(self):
        return [exercise["name"] for exercise in self.exercises]

    def failed_verdict(self, error):
        return Verdict(fractions={name: 0.0 for name in self.names()},
                       cells={e["name"]: e["cell"] for e in self.exercises}, error=error)


# --------------------------------------------------------------------- the referee
_referees = {}


def referee(folder, notebook="dinosaur_island.ipynb", timeout=300):
    """The Referee of the instructor's notebook in folder (source/<assignment>/), computed once
    per process and content of the folder. KitError when the instructor's own solution fails a
    check or a cell."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    key = (str(folder / notebook), digest.hexdigest())
    if key not in _referees:
        _referees[key] = _run_referee(folder, notebook, timeout)
    return _referees[key]


def _run_referee(folder, notebook, timeout):
    try:
        source = nbformat.read(folder / notebook, as_version=4)
    except Exception as error:
        raise KitError(f"cannot read the instructor's {notebook}: {first_line(error)}") from None
    solutions = {grade_id(cell): solution_code(cell.source) for cell in source.cells
                 if cell_meta(cell).get("solution")}
    cells = [[index, grade_id(cell), code] for index, code, cell in code_cells(source)]
    with tempfile.TemporaryDirectory(prefix="referee-") as scratch:
        shutil.copytree(folder, scratch, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.ipynb", "__pycache__", ".ipynb_checkpoints"))
        answers, error = converse(scratch, "reference", {"cells": cells, "cell_seconds": timeout},
                                  timeout=timeout)
    if error or not answers or "exercises" not in answers[-1]:
        raise KitError(f"the instructor's {notebook} could not be run outside Jupyter: "
                       f"{error or 'no answer'}")
    result = answers[-1]
    if result["cell_errors"]:
        raise KitError(f"the instructor's {notebook} fails outside Jupyter: {result['cell_errors'][0]}")
    for exercise in result["exercises"]:
        failed = [f"{what}: {problem}" for what, problem in exercise["checks"] if problem]
        if failed:
            raise KitError(f"the instructor's {exercise['name']} fails its own check {failed[0]}")
        if exercise["name"] not in solutions:
            raise KitError(f"the checks of {exercise['name']} (cell {exercise['cell']}) name no "
                           f"solution cell with id={exercise['name']}")
        exercise["solution"] = solutions[exercise["name"]]
    return Referee(result["exercises"], load_checks(folder / "checks.py"))


def load_checks(path):
    """The assignment's checks module, loaded from the instructor's copy under a name of its own."""
    name = "assignment_checks_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or not Path(path).is_file():
        raise KitError(f"no checks module at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ the notebook
def cell_meta(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    return cell_meta(cell).get("grade_id")


def is_test_cell(cell):
    meta = cell_meta(cell)
    return meta.get("grade") is True and not meta.get("solution")


def code_cells(notebook):
    """(index, plain Python code, cell) of every code cell. IPython syntax (magics, shell
    escapes) becomes plain calls of get_ipython(), which the collector answers harmlessly."""
    from IPython.core.inputtransformer2 import TransformerManager
    transformer = TransformerManager()
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        try:
            source = transformer.transform_cell(source)
        except Exception:
            pass  # left as it is; running it reports the syntax error as a cell error
        yield index, source, cell


def student_steps(notebook, exercises):
    """The collector's steps for a submitted notebook: its code cells but the graded test cells,
    and each exercise where its hidden test cell stands. [] when an exercise's hidden test cell
    is missing is handled by the caller (the exercise is then not observed)."""
    where = {exercise["cell"]: exercise for exercise in exercises}
    steps = []
    for index, code, cell in code_cells(notebook):
        if is_test_cell(cell):
            if grade_id(cell) in where:
                steps.append({"exercise": where[grade_id(cell)]["exercise"]})
        else:
            steps.append({"index": index, "code": code})
    return steps


# ---------------------------------------------------------------- the collector
def collector_env():
    """A small environment: nothing of the grader's own settings reaches student code.

    One BLAS thread, as in the grader's sandbox, so that the instructor's run and a
    sandboxed student's run sum in the same order.
    """
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": "C.UTF-8", "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg"}
    env.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"))
    return env


def converse(workdir, mode, job, timeout, answer=None, wrap=None):
    """Run the collector in workdir, send it job, and read its lines until it is done.

    answer(message) -> the line to send back, or None to send nothing (student mode).
    Returns (the messages received, None or a one-line error). The collector and everything it
    started are killed at the end, within timeout seconds in any case.
    """
    workdir = Path(workdir)
    copy, job_file = workdir / COLLECTOR_COPY, workdir / JOB
    try:
        for path, text in ((copy, COLLECTOR.read_text()), (job_file, json.dumps(job))):
            remove_entry(path)
            # O_EXCL with O_NOFOLLOW: never write through a link planted in the submission.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
    except OSError as failure:
        return [], f"cannot write the collector's files: {failure.strerror}"
    argv = [sys.executable, "-I", str(copy), mode, JOB]
    argv = wrap(argv) if wrap else argv
    messages, error = [], None
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(argv, cwd=workdir, env=collector_env(), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
        except OSError as failure:
            return [], f"cannot run the collector: {failure.strerror or failure}"
        try:
            reader = LineReader(process.stdout)
            while True:
                line = reader.next_line(deadline)
                if line is None and not reader.closed:
                    error = f"the notebook did not finish within {timeout:g} s"
                    break
                if line is None:
                    time.sleep(0.05)   # the exit status, if it is exiting
                    status = process.poll()
                    error = ("the collector stopped before it was done" +
                             (f" (exit status {status})" if status is not None else "") + last_line(stderr))
                    break
                try:
                    message = json.loads(line)
                except (ValueError, RecursionError):
                    error = "the collector's results are not valid JSON"
                    break
                if not isinstance(message, dict):
                    error = "the collector's results are malformed"
                    break
                messages.append(message)
                if message.get("done") or "exercises" in message:
                    break
                reply = answer(message) if answer else None
                if reply is not None:
                    send(process, reply)
        except ValueError as failure:      # a line over MAX_LINE_BYTES
            error = str(failure)
        except (BrokenPipeError, OSError):
            error = f"the collector stopped reading{last_line(stderr)}"
        finally:
            kill_group(process)
    remove_entry(copy)
    remove_entry(job_file)
    return messages, error


def send(process, message):
    """Send one short line (a reference; well under a pipe's buffer, so it never blocks)."""
    process.stdin.write((json.dumps(message) + "\n").encode())
    process.stdin.flush()


class LineReader:
    """Lines from a pipe, each at most MAX_LINE_BYTES, with a deadline."""

    def __init__(self, pipe):
        self.fd, self.buffer, self.closed = pipe.fileno(), b"", False

    def next_line(self, deadline):
        """The next line (bytes), or None at the deadline or the end of the pipe."""
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE_BYTES:
                raise ValueError(f"the collector's results are larger than {MAX_LINE_BYTES // 1_000_000} MB")
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                self.closed = True
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line


def kill_group(process):
    """Kill the process and its whole session (nothing the notebook started keeps running)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def last_line(stream):
    """': <last non-empty line of stderr>' (from its last 4 kB), or ''."""
    stream.seek(0, os.SEEK_END)
    stream.seek(max(0, stream.tell() - 4096))
    lines = [line.strip() for line in stream.read().decode(errors="replace").splitlines()]
    lines = [line for line in lines if line]
    return f": {lines[-1][:200]}" if lines else ""


def remove_entry(path):
    """Remove path unless it is a folder (links, FIFOs and files all go)."""
    try:
        if not Path(path).is_dir() or Path(path).is_symlink():
            os.unlink(path)
    except OSError:
        pass


def first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


# -------------------------------------------------------------------------- judge
def judge_notebook(notebook_path, workdir, referee, wrap=None, cell_seconds=10, budget=60):
    """Grade the notebook by its real results: see the module docstring.

    workdir: a scratch copy of the submission folder with the assignment's helper files (the
    collector may change it); referee: the instructor's Referee; wrap(argv) -> argv runs the
    collector inside the grader's sandbox; cell_seconds: the limit of each cell and exercise;
    budget: seconds for the whole run. Student problems give a Verdict, never an exception.
    """
    try:
        notebook = nbformat.read(str(notebook_path), as_version=4)
        steps = student_steps(notebook, referee.exercises)
    except Exception as error:  # nbformat raises several kinds for a broken file
        return referee.failed_verdict(f"cannot read {Path(notebook_path).name}: {first_line(error)}")
    by_name = {exercise["name"]: exercise for exercise in referee.exercises}
    expected = [step["exercise"]["name"] for step in steps if "exercise" in step]
    observed = {}

    def answer(message):
        # Observations must come in the notebook's order; the reference follows, never before.
        name = message.get("observed")
        if len(observed) >= len(expected) or name != expected[len(observed)]:
            raise ValueError("the collector's results are malformed")
        observed[name] = message
        return {"reference": reference_block(name, by_name[name]["solution"])}

    messages, error = converse(workdir, "student", {"steps": steps, "cell_seconds": cell_seconds,
                                                    "budget": max(1.0, budget - 1.0)},
                               timeout=budget, answer=answer, wrap=wrap)
    if error and not observed:
        return referee.failed_verdict(error)
    verdict = Verdict(fractions={}, cells={e["name"]: e["cell"] for e in referee.exercises})
    for exercise in referee.exercises:
        name = exercise["name"]
        message = observed.get(name)
        if message is None:
            why = ("its hidden test cell is missing from the notebook" if name not in expected
                   else f"the notebook stopped before it ({error or 'no result'})")
            checks = [(case["description"], why) for case in exercise["exercise"]["cases"]]
        elif message.get("error") or not isinstance(message.get("observations"), list):
            why = str(message.get("error") or "malformed observations")[:200]
            checks = [(case["description"], why) for case in exercise["exercise"]["cases"]]
        else:
            got = [sanitized(observation) for observation in message["observations"]]
            got += [{"error": "no result"}] * (len(exercise["want"]) - len(got))
            checks = referee.checks_module.verdict(exercise["exercise"], got, exercise["want"])
        verdict.checks[name] = checks
        verdict.fractions[name] = sum(problem is None for _, problem in checks) / len(checks)
    done = [m for m in messages if m.get("done")]
    if done and isinstance(done[-1].get("cell_errors"), list):
        verdict.cell_errors = [str(line)[:300] for line in done[-1]["cell_errors"][:50]]
    return verdict


def sanitized(observation):
    """An observation from the collector as the comparisons expect it, or an error one."""
    if not isinstance(observation, dict):
        return {"error": "malformed result"}
    if "error" in observation:
        return {"error": str(observation["error"])[:300]}
    if not isinstance(observation.get("parts"), dict):
        return {"error": "malformed result"}
    clean = {"parts": observation["parts"]}
    if isinstance(observation.get("calls"), list):
        clean["calls"] = observation["calls"]
    return clean
