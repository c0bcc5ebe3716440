"""Re-check a submission outside the student's control and grade its real results.

The hidden test cells run in the student's own kernel, after the student's
code, so a submission can switch them off (patched comparison functions,
objects that compare equal to anything, a custom exception handler). The judge
does not trust anything that happens in that kernel:

1. Collect: a fresh ``python -I`` process (the collector, passed with ``-c`` so
   that it needs nothing but the Python installation and the working folder)
   runs the notebook's code cells except the graded test cells, then calls
   clip, sample, optimize and model on fixed cases. As in the hidden tests,
   each exercise is graded on its own: the student's optimize is called with
   the instructor's clip, their model with the instructor's optimize. Every
   output is turned into plain numbers at once and written as JSON to
   COLLECTED in the working folder. The grader may run this process inside
   a sandbox (``wrap``).
2. Judge: the calling process reads those numbers (size-capped, no pickle) and
   compares them with the instructor's solution run through the same
   collector on the same cases.

Tolerances are loose enough for any correct solution (another summation
order, one-hot products instead of column indexing) and tight enough that a
wrong step changes the verdict.
"""
import functools
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from .. import ASSIGNMENT, SOURCE, KitError

NOTEBOOK = "dinosaur_island"          # the graded notebook the judge re-checks (file name stem)
EXERCISES = ("clip", "sample", "optimize", "model")
GRADIENTS = ("dWax", "dWaa", "dWya", "db", "dby")
PARAMETERS = ("Wax", "Waa", "Wya", "b", "by")
CHARS = "\n" + "abcdefghijklmnopqrstuvwxyz"  # index 0 is the newline, as in the notebook
NEWLINE = 0

COLLECTED = ".judge_collected.json"   # written by the collector in the working folder
JOB = ".judge_job.json"               # cells and cases, written by the judge for the collector
MAX_COLLECTED_BYTES = 8_000_000       # real results take under 1 MB
SEEDED_SAMPLE_PREFIX = 43             # see the notebook: later indices depend on rounding

# Relative tolerances; each comparison also allows 1e-3 * rtol times the largest
# reference magnitude of the array, so that entries near zero (saturated tanh
# units, cancelling sums) never fail on summation order alone.
RTOL = {"clip": 1e-6, "optimize": 1e-6, "model": 1e-5}
ATOL_SHARE = 1e-3


@dataclass
class Verdict:
    """The judge's grade of one notebook.

    fractions: exercise -> share of its cases passed, in [0, 1];
    reasons: exercise -> one line on the first failed case (only for fractions < 1);
    error: one line when the collector failed as a whole (then every fraction is 0);
    cell_errors: one line per notebook cell that raised (they do not stop the checks,
    as in nbgrader's own execution).
    """
    fractions: dict[str, float]
    reasons: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    cell_errors: list[str] = field(default_factory=list)


def failed_verdict(error):
    return Verdict(fractions={name: 0.0 for name in EXERCISES},
                   reasons={name: f"{name}: not judged, {error}" for name in EXERCISES},
                   error=error)


# --------------------------------------------------------------------------- cases
@dataclass
class Case:
    """One call of a student function; args/kwargs are JSON data (see encode_array)."""
    exercise: str
    name: str
    args: list
    kwargs: dict = field(default_factory=dict)

    @property
    def key(self):
        return f"{self.exercise}/{self.name}"


def encode_array(array):
    """An array as JSON data the collector turns back into a float ndarray (exactly)."""
    return {"array": np.asarray(array, dtype=float).tolist()}


def encode_parameters(parameters):
    return {name: encode_array(value) for name, value in parameters.items()}


CHAR_TO_IX = {"mapping": "char_to_ix"}
IX_TO_CHAR = {"mapping": "ix_to_char"}


def clip_cases():
    """Three bounds; every key has entries far beyond both bounds and exactly at them."""
    cases = []
    rng = np.random.default_rng(21)
    shapes = {"dWax": (5, 7), "dWaa": (5, 5), "dWya": (7, 5), "db": (5, 1), "dby": (7, 1)}
    for bound in (0.5, 3.0, 10.0):
        gradients = {key: rng.normal(0, 6, shape) for key, shape in shapes.items()}
        for g in gradients.values():
            g.flat[0], g.flat[1], g.flat[-1], g.flat[-2] = 2.5 * bound, -3 * bound, bound, -bound
        cases.append(Case("clip", f"max-{bound:g}", [encode_parameters(gradients), bound]))
    return cases


def random_parameters(draw, n_a, vocab_size=27):
    """Parameters dict with every entry drawn by draw(shape)."""
    return {"Wax": draw((n_a, vocab_size)), "Waa": draw((n_a, n_a)),
            "Wya": draw((vocab_size, n_a)), "b": draw((n_a, 1)), "by": draw((vocab_size, 1))}


def sample_cases():
    """The notebook's seeded setup (compared on its robust prefix) and two small-weight
    setups, well-conditioned enough that every correct solution draws the same list."""
    # A private RandomState draws what np.random.seed(2) then np.random.randn would, without
    # touching numpy's global state (the grader judges several submissions in threads).
    draw = np.random.RandomState(2).randn
    seeded = {"Wax": draw(100, 27), "Waa": draw(100, 100), "Wya": draw(27, 100),
              "b": draw(100, 1), "by": draw(27, 1)}
    cases = [Case("sample", "seeded", [encode_parameters(seeded), CHAR_TO_IX, 0])]
    # A lower newline score gives longer names: 15 indices, then the 50 cap.
    for number, (newline_shift, seed) in enumerate(((0.5, 20), (9.0, 10)), start=1):
        rng = np.random.default_rng(200 + number)
        parameters = random_parameters(lambda shape: rng.normal(0, 0.3, shape), 12)
        parameters["by"][NEWLINE] -= newline_shift
        cases.append(Case("sample", f"small-weights-{number}",
                          [encode_parameters(parameters), CHAR_TO_IX, seed]))
    return cases


def optimize_cases():
    """The notebook's seeded step (lr 0.01, gradients far beyond the clip) and another
    example and learning rate starting from the all-zero input."""
    draw = np.random.RandomState(1).randn  # as np.random.seed(1), thread-safe (see sample_cases)
    a_prev = draw(100, 1)
    seeded = random_parameters(lambda shape: draw(*shape), 100)  # the notebook's order
    cases = [Case("optimize", "seeded",
                  [[12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26], encode_array(a_prev),
                   encode_parameters(seeded)], {"learning_rate": 0.01})]
    rng = np.random.default_rng(7)
    parameters = random_parameters(lambda shape: rng.normal(0, 1, shape), 20)
    a_prev = rng.normal(0, 1, (20, 1))
    X = [None] + [CHARS.index(ch) for ch in "troodon"]
    cases.append(Case("optimize", "lr-0.05",
                      [X, X[1:] + [NEWLINE], encode_array(a_prev), encode_parameters(parameters)],
                      {"learning_rate": 0.05}))
    return cases


def model_cases():
    """Two short training runs on a few names (the list is cycled more than once).

    dino_names=0 keeps sample() out of the run, so a wrong sample costs only its own cases.
    """
    runs = (("40-steps", ["aardonyx", "tyrannosaurus", "velociraptor"], 40, 8),
            ("57-steps", ["stegosaurus", "iguanodon", "microraptor", "diplodocus", "oviraptor"], 57, 6))
    return [Case("model", name, [names, IX_TO_CHAR, CHAR_TO_IX],
                 {"num_iterations": steps, "n_a": n_a, "dino_names": 0})
            for name, names, steps, n_a in runs]


@functools.lru_cache(maxsize=1)
def _cases():
    return tuple(clip_cases() + sample_cases() + optimize_cases() + model_cases())


def all_cases():
    """Every case, built once (the same objects each call: treat them as read-only)."""
    return list(_cases())


# ---------------------------------------------------------------------- collector
# Runs in the student's process: stdlib and numpy only, no kit code. It keeps
# its own references to what it uses, taken before any notebook code runs.
COLLECTOR = r'''
import builtins, itertools, json, os, signal, sys, time, warnings
import numpy as np

_array, _float, _int, _str, _len, _list, _dict = np.array, float, int, str, len, list, dict
_isinstance, _callable, _type, _islice, _iter = isinstance, callable, type, itertools.islice, iter
_exec, _compile, _open, _dumps, _replace = exec, compile, open, json.dumps, os.replace
_now, _setitimer, _signal, _getcwd = time.monotonic, signal.setitimer, signal.signal, os.getcwd
_min, _enumerate, _catch_warnings, _ignore = min, enumerate, warnings.catch_warnings, warnings.simplefilter
GRADIENTS = ("dWax", "dWaa", "dWya", "db", "dby")
PARAMETERS = ("Wax", "Waa", "Wya", "b", "by")
MAX_ENTRIES = 100000
MAX_INDICES = 100


class OutOfTime(BaseException):
    pass


def on_alarm(signum, frame):
    raise OutOfTime()


def one_line(exc):
    try:
        text = _str(exc)
    except BaseException:
        text = "(message unavailable)"
    lines = text.strip().splitlines()
    return (_type(exc).__name__ + (": " + lines[0] if lines else ""))[:300]


def guarded(action, seconds):
    """(value, None), or (None, what went wrong in a few words); warnings silenced,
    time limited."""
    try:
        try:
            _signal(signal.SIGALRM, on_alarm)
            _setitimer(signal.ITIMER_REAL, seconds)
            with _catch_warnings():
                _ignore("ignore")
                return action(), None
        finally:
            _setitimer(signal.ITIMER_REAL, 0)
    except OutOfTime:
        return None, "gave no result within %.1f s" % seconds
    except BaseException as exc:
        return None, "raised " + one_line(exc)


class ShellStandIn:
    """What notebook code may ask of IPython: %time/%%time/%%capture run their code;
    shell commands and every other magic do nothing."""

    def __init__(self, namespace):
        self.user_ns = namespace

    def run_line_magic(self, name, line, *args, **kwargs):
        if name == "time":
            _exec(_compile(line, "<magic>", "exec"), self.user_ns)

    def run_cell_magic(self, name, line, cell, *args, **kwargs):
        if name in ("time", "capture"):
            _exec(_compile(cell, "<magic>", "exec"), self.user_ns)

    def getoutput(self, *args, **kwargs):
        return []

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def plain_array(value):
    copy = _array(value, dtype=_float)          # a new base-class ndarray of floats
    if copy.size > MAX_ENTRIES:
        raise ValueError("array with %d entries" % copy.size)
    return {"shape": [_int(n) for n in copy.shape], "values": copy.ravel().tolist()}


def plain_arrays(mapping, keys):
    return {key: plain_array(mapping[key]) for key in keys}


def plain_clip(result, args):
    return plain_arrays(result, GRADIENTS)


def plain_sample(result, args):
    items = _list(_islice(_iter(result), MAX_INDICES + 1))
    return {"indices": [_int(i) for i in items[:MAX_INDICES]], "more": _len(items) > MAX_INDICES}


def plain_optimize(result, args):
    loss, gradients, a_last = result
    return {"loss": _float(loss), "gradients": plain_arrays(gradients, GRADIENTS),
            "a_last": plain_array(a_last), "parameters": plain_arrays(args[3], PARAMETERS)}


def plain_model(result, args):
    return plain_arrays(result, PARAMETERS)


PLAIN = {"clip": plain_clip, "sample": plain_sample, "optimize": plain_optimize, "model": plain_model}
EXERCISES = ("clip", "sample", "optimize", "model")
_np_clip = np.clip


def reference_functions(helpers):
    """The instructor's clip and optimize (helpers: the rnn_utils module). As in the
    notebook's hidden tests, each exercise is graded on its own: the student's optimize
    is called with this clip in place of theirs, the student's model with this optimize."""
    rnn_forward, rnn_backward = helpers.rnn_forward, helpers.rnn_backward
    update_parameters = helpers.update_parameters

    def clip(gradients, maxValue):
        for key in GRADIENTS:
            _np_clip(gradients[key], -maxValue, maxValue, out=gradients[key])
        return gradients

    def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
        loss, cache = rnn_forward(X, Y, a_prev, parameters)
        gradients, a = rnn_backward(X, Y, parameters, cache)
        update_parameters(parameters, clip(gradients, 5), learning_rate)
        return loss, gradients, a[_len(X) - 1]
    return {"clip": clip, "optimize": optimize}


def main(job_path, collected_path):
    started = _now()
    with _open(job_path) as f:
        job = json.load(f)
    budget = _float(job["budget"])
    char_to_ix = {ch: i for i, ch in _enumerate(job["chars"])}
    ix_to_char = {i: ch for i, ch in _enumerate(job["chars"])}

    def decode(value):
        if _isinstance(value, _dict):
            if _list(value) == ["array"]:
                return _array(value["array"], dtype=_float)
            if value.get("mapping") == "char_to_ix":
                return _dict(char_to_ix)
            if value.get("mapping") == "ix_to_char":
                return _dict(ix_to_char)
            return {key: decode(item) for key, item in value.items()}
        if _isinstance(value, _list):
            return [decode(item) for item in value]
        return value

    def remaining():
        return budget - (_now() - started)

    sys.path.insert(0, _getcwd())
    try:
        import rnn_utils   # before any notebook code runs
        reference = reference_functions(rnn_utils)
    except BaseException:
        reference = {}     # the notebook's own import reports the problem
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": lambda *a, **k: None}
    shell = ShellStandIn(namespace)
    namespace["get_ipython"] = lambda: shell
    cell_errors = []
    for index, source in job["cells"]:
        # Cells may use 60% of the budget, the rest is kept for the cases.
        seconds = _min(budget * 0.5, remaining() - budget * 0.4)
        if seconds <= 0:
            cell_errors.append("cell %d was not run: the time budget was used up" % index)
            continue
        code = lambda: _exec(_compile(source, "<cell %d>" % index, "exec"), namespace)
        _, error = guarded(code, seconds)
        if error:
            cell_errors.append("cell %d %s" % (index, error))

    results, out_of_time = {}, set()
    for case in job["cases"]:
        exercise = case["exercise"]
        seconds = _min(budget * 0.1, remaining())
        if exercise in out_of_time or seconds <= 0:
            why = "an earlier case gave no result in time" if seconds > 0 else "the time budget was used up"
            results[case["key"]] = {"error": "was not run: " + why}
            continue
        function = namespace.get(case["function"])
        if not _callable(function):
            results[case["key"]] = {"error": "found no function %s in the notebook" % case["function"]}
            continue
        for earlier in EXERCISES[:EXERCISES.index(exercise)]:
            if earlier in reference:
                namespace[earlier] = reference[earlier]

        def call():
            args, kwargs = decode(case["args"]), decode(case["kwargs"])
            return PLAIN[exercise](function(*args, **kwargs), args)
        value, error = guarded(call, seconds)
        if error and error.startswith("gave no result"):
            out_of_time.add(exercise)
        results[case["key"]] = {"error": error} if error else {"value": value}

    text = _dumps({"cell_errors": cell_errors, "results": results})
    with _open(collected_path + ".part", "w") as f:
        f.write(text)
    _replace(collected_path + ".part", collected_path)


main(sys.argv[1], sys.argv[2])
'''


def collector_cells(notebook_path):
    """(index, source) of the code cells the collector runs: all but nbgrader test cells.

    IPython syntax (magics, shell escapes) is rewritten into plain Python calls of
    get_ipython(), which the collector answers harmlessly.
    """
    from IPython.core.inputtransformer2 import TransformerManager
    notebook = nbformat.read(str(notebook_path), as_version=4)
    transformer = TransformerManager()
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        source = cell.get("source", "")
        try:
            source = transformer.transform_cell(source)
        except Exception:
            pass  # left as it is; running it reports the syntax error as a cell error
        cells.append([index, source])
    return cells


def is_test_cell(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return isinstance(meta, dict) and meta.get("grade") is True and not meta.get("solution")


def collector_env():
    """A small environment: nothing of the grader's own settings reaches student code.

    One BLAS thread, as in the grader's sandbox, so that the instructor's run and a
    sandboxed student's run sum in the same order.
    """
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": "C.UTF-8", "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg"}
    env.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"))
    return env


def collect(cells, workdir, wrap=None, timeout=60):
    """Run the collector on cells in workdir; the decoded JSON dict, or a one-line error."""
    workdir = Path(workdir)
    if not workdir.is_dir():
        return f"no working folder {workdir}"
    job_path, collected_path = workdir / JOB, workdir / COLLECTED
    job = {"cells": cells, "chars": CHARS,
           # The collector stops on its own before the hard limit, so that a
           # slow or stuck exercise costs only its own cases.
           "budget": max(1.0, 0.85 * timeout - 1.0),
           "cases": [{"key": case.key, "exercise": case.exercise, "function": case.exercise,
                      "args": case.args, "kwargs": case.kwargs} for case in all_cases()]}
    for path in (job_path, collected_path, workdir / (COLLECTED + ".part")):
        remove_entry(path)
    try:
        # O_EXCL with O_NOFOLLOW: never write through a link planted in the submission.
        fd = os.open(job_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w") as f:
            json.dump(job, f)
    except OSError as error:
        return f"cannot write the collector's job file: {error.strerror}"
    argv = [sys.executable, "-I", "-c", COLLECTOR, JOB, COLLECTED]
    argv = wrap(argv) if wrap else argv
    try:
        with tempfile.TemporaryFile() as stderr:
            status = run_process_group(argv, workdir, stderr, timeout)
            if status is None:
                return f"the notebook did not finish within {timeout:g} s"
            data = read_capped(collected_path, MAX_COLLECTED_BYTES)
            if data is None:
                return f"the collector exited with status {status} and no results{last_line(stderr)}"
    except OSError as error:
        return f"cannot run the collector: {error.strerror or error}"
    finally:
        for path in (job_path, collected_path, workdir / (COLLECTED + ".part")):
            remove_entry(path)
    if isinstance(data, str):
        return data
    try:
        collected = json.loads(data)
    except (ValueError, RecursionError):
        return "the collector's results are not valid JSON"
    if not (isinstance(collected, dict) and isinstance(collected.get("results"), dict)
            and isinstance(collected.get("cell_errors"), list)):
        return "the collector's results are malformed"
    return collected


def run_process_group(argv, workdir, stderr, timeout):
    """Exit status of argv run in its own process group, or None after a timeout.

    The whole group is killed at the end either way, so nothing the notebook
    started keeps running.
    """
    process = subprocess.Popen(argv, cwd=workdir, env=collector_env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        status = None
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    return status


def read_capped(path, limit):
    """Bytes of the regular file at path (no links, FIFOs or devices), None if absent,
    or a one-line error when it is not a plain file or larger than limit."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError:
        return "the collector's results are not a plain file"
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return "the collector's results are not a plain file"
        data = f.read(limit + 1)
    if len(data) > limit:
        return f"the collector's results are larger than {limit // 1_000_000} MB"
    return data


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
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass


# ---------------------------------------------------------------------- reference
_references = {}


def reference_results(assignment=ASSIGNMENT, notebook="dinosaur_island.ipynb", timeout=300,
                      source=SOURCE):
    """Collected results of the instructor's solution in source/<assignment>/, computed once
    per process and source content. Raises KitError when the instructor's own notebook fails
    a case."""
    folder = Path(source) / assignment
    digest = hashlib.sha256()
    for name in (notebook, "rnn_utils.py", "dinos.txt"):
        try:
            digest.update((folder / name).read_bytes())
        except OSError as error:
            raise KitError(f"cannot read the instructor's {name}: {error.strerror}") from None
    key = digest.hexdigest()
    if key not in _references:
        with tempfile.TemporaryDirectory() as scratch:
            shutil.copytree(folder, scratch, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            collected = collect(collector_cells(Path(scratch) / notebook), scratch, timeout=timeout)
        if isinstance(collected, str):
            raise KitError(f"the instructor's solution could not be collected: {collected}")
        failed = [f"{case_key} {result['error']}"
                  for case_key, result in collected["results"].items() if "error" in result]
        if failed or collected["cell_errors"]:
            raise KitError(f"the instructor's solution fails: {(failed + collected['cell_errors'])[0]}")
        _references[key] = collected["results"]
    return _references[key]


# -------------------------------------------------------------------------- judge
def judge_notebook(notebook_path, workdir, wrap=None, timeout=60, source=SOURCE):
    """Grade the notebook by its real results: see the module docstring.

    notebook_path: the submitted notebook; workdir: a scratch copy of the
    submission folder (rnn_utils.py, dinos.txt, the notebook) the collector may
    change; wrap(argv) -> argv runs the collector inside the grader's sandbox;
    timeout: seconds for the whole collector run. Student problems give a
    Verdict, never an exception.
    """
    reference = reference_results(source=source)
    try:
        cells = collector_cells(notebook_path)
    except Exception as error:  # nbformat raises several kinds for a broken file
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        return failed_verdict(f"cannot read {Path(notebook_path).name}: {first_line}")
    collected = collect(cells, workdir, wrap=wrap, timeout=timeout)
    if isinstance(collected, str):
        return failed_verdict(collected)
    verdict = compare_results(collected["results"], reference)
    verdict.cell_errors = [str(line)[:300] for line in collected["cell_errors"][:50]]
    return verdict


def compare_results(student, reference):
    """Verdict from the collected results of a student and of the instructor."""
    passed = {name: 0 for name in EXERCISES}
    total = {name: 0 for name in EXERCISES}
    failures = {name: [] for name in EXERCISES}
    for case in all_cases():
        total[case.exercise] += 1
        reason = compare_case(case, student.get(case.key), reference[case.key]["value"])
        if reason is None:
            passed[case.exercise] += 1
        else:
            failures[case.exercise].append(f"case {case.name} {reason}")
    verdict = Verdict(fractions={name: passed[name] / total[name] for name in EXERCISES})
    for name, found in failures.items():
        if found:
            more = f" ({len(found)} of {total[name]} cases failed)" if len(found) > 1 else ""
            verdict.reasons[name] = f"{name}: {found[0]}{more}"
    return verdict


def compare_case(case, result, expected):
    """None when the student's result for case matches, else why not (a few words)."""
    if not isinstance(result, dict):
        return "was not run"
    if "error" in result:
        return str(result["error"])[:200]
    try:
        return COMPARE[case.exercise](case, result["value"], expected)
    except Exception:
        return "gave a malformed result"


def as_array(encoded):
    """A float ndarray from the collector's {"shape", "values"} (checked, never trusted)."""
    shape = tuple(int(n) for n in encoded["shape"])
    values = np.asarray(encoded["values"], dtype=float)
    if values.ndim != 1 or values.size != int(np.prod(shape, dtype=np.int64)):
        raise ValueError("shape and values disagree")
    return values.reshape(shape)


def array_difference(encoded, expected_encoded, rtol):
    """None when the student's array is within tolerance of the reference, else why not."""
    got, expected = as_array(encoded), as_array(expected_encoded)
    if got.shape != expected.shape:
        return f"has shape {got.shape}, expected {expected.shape}"
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    gap = np.abs(got - expected)
    if np.all(gap <= rtol * np.abs(expected) + ATOL_SHARE * rtol * scale):   # NaN fails
        return None
    return f"differs by up to {float(np.max(gap)):.3g}"


def arrays_difference(got, expected, keys, rtol, what=""):
    for key in keys:
        reason = array_difference(got[key], expected[key], rtol)
        if reason:
            return f"{what}{key} {reason}"
    return None


def compare_clip(case, got, expected):
    return arrays_difference(got, expected, GRADIENTS, RTOL["clip"])


def compare_sample(case, got, expected):
    indices, want = [int(i) for i in got["indices"]], [int(i) for i in expected["indices"]]
    if got["more"]:
        return "returned more than 100 indices"
    if case.name == "seeded":
        # The seeded weights are chaotic: only the prefix and the list's form are fixed.
        problem = sample_form_problem(indices)
        if problem:
            return problem
        indices, want = indices[:SEEDED_SAMPLE_PREFIX], want[:SEEDED_SAMPLE_PREFIX]
    for position, (mine, theirs) in enumerate(zip(indices, want)):
        if mine != theirs:
            return f"differs at index {position}"
    if len(indices) != len(want):
        return f"has {len(indices)} indices, expected {len(want)}"
    return None


def sample_form_problem(indices):
    """What is wrong with the form of a sampled list (indices in range, one final newline,
    at most 50 draws plus the appended newline), or None."""
    if not indices or any(not 0 <= i < len(CHARS) for i in indices):
        return "has indices outside 0..26" if indices else "is empty"
    if indices[-1] != NEWLINE:
        return "does not end with the newline index"
    first_newline = indices.index(NEWLINE)
    if len(indices) > 51 or (first_newline < len(indices) - 1 and
                             not (len(indices) == 51 and first_newline >= 49)):
        return "does not stop at the first newline or after 50 characters"
    return None


def compare_optimize(case, got, expected):
    rtol = RTOL["optimize"]
    loss, want = float(got["loss"]), float(expected["loss"])
    if not abs(loss - want) <= rtol * abs(want):
        return f"loss is {loss:.10g}, expected {want:.10g}"
    return (arrays_difference(got["gradients"], expected["gradients"], GRADIENTS, rtol, "gradient ")
            or arrays_difference(got, expected, ["a_last"], rtol, "returned state ")
            or arrays_difference(got["parameters"], expected["parameters"], PARAMETERS, rtol,
                                 "parameter (updated in place) "))


def compare_model(case, got, expected):
    return arrays_difference(got, expected, PARAMETERS, RTOL["model"], "trained ")


COMPARE = {"clip": compare_clip, "sample": compare_sample,
           "optimize": compare_optimize, "model": compare_model}
