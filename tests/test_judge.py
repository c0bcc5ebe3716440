"""The judge re-runs submissions in a fresh process and grades their real results.

Every notebook here is the instructor's notebook with some solution cells
replaced (found by their nbgrader grade_id) or cells added, run for real.
"""
import json
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

from utils import ASSIGNMENT, SOURCE
from utils.engine import judge

FOLDER = SOURCE / ASSIGNMENT
NOTEBOOK = "dinosaur_island.ipynb"
REFEREE = judge.referee(FOLDER, NOTEBOOK)
EXERCISES = REFEREE.names()
ALL_PASS = {name: 1.0 for name in EXERCISES}
ALL_FAIL = {name: 0.0 for name in EXERCISES}


def submission(folder, replace=None, add_after=None):
    """Write a submission into folder: the instructor's notebook with the solution
    cells in replace (grade_id -> source) swapped and, for add_after
    (grade_id -> source), a new student cell after that cell. Returns its path."""
    for name in ("rnn_utils.py", "dinos.txt", "checks.py"):
        shutil.copy(FOLDER / name, folder)
    notebook = nbformat.read(FOLDER / NOTEBOOK, as_version=4)
    cells = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in (replace or {}):
            cell.source = replace.pop(grade_id)
        cells.append(cell)
        if grade_id in (add_after or {}):
            cells.append(nbformat.v4.new_code_cell(add_after.pop(grade_id)))
    assert not replace and not add_after, "unknown grade_id in the test"
    notebook.cells = cells
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index:03d}"
    path = Path(folder) / NOTEBOOK
    nbformat.write(notebook, path)
    return path


SAMPLE_HEAD = '''def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
'''

# Correct, but unlike the instructor's: column indexing instead of a one-hot
# product, another order of the sums, softmax without the max shift.
SAMPLE_BY_COLUMNS = SAMPLE_HEAD + '''    h, ix, out, counter = np.zeros((n_a, 1)), None, [], 0
    while True:
        pre = Waa @ h + b
        if ix is not None:
            pre = pre + Wax[:, [ix]]
        h = np.tanh(pre)
        e = np.exp(Wya @ h + by)
        np.random.seed(counter + seed)
        ix = int(np.random.choice(vocab_size, p=(e / e.sum())[:, 0]))
        out.append(ix)
        seed, counter = seed + 1, counter + 1
        if ix == char_to_ix["\\n"]:
            return out
        if counter == 50:
            return out + [char_to_ix["\\n"]]
'''

# Wrong: the hidden state is not carried from one character to the next.
SAMPLE_WITHOUT_STATE = SAMPLE_HEAD + '''    x, indices, idx, counter = np.zeros((vocab_size, 1)), [], -1, 0
    while idx != char_to_ix["\\n"] and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, np.zeros((n_a, 1))) + b)
        y = softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\\n"])
    return indices
'''

# Correct: a classic hand-written forward and backward pass with one-hot inputs.
OPTIMIZE_BY_HAND = '''def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    Wax, Waa, Wya, b, by = (parameters[k] for k in ("Wax", "Waa", "Wya", "b", "by"))
    xs, hs, ps, loss = {}, {-1: a_prev}, {}, 0.0
    for t in range(len(X)):
        xs[t] = np.zeros((Wax.shape[1], 1))
        if X[t] is not None:
            xs[t][X[t]] = 1
        hs[t] = np.tanh(np.dot(Waa, hs[t - 1]) + np.dot(Wax, xs[t]) + b)
        z = np.dot(Wya, hs[t]) + by
        ps[t] = np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
        loss -= np.log(ps[t][Y[t], 0])
    g = {"d" + k: np.zeros_like(v) for k, v in parameters.items() if k in ("Wax", "Waa", "Wya", "b", "by")}
    da_next = np.zeros_like(a_prev)
    for t in reversed(range(len(X))):
        dy = np.copy(ps[t])
        dy[Y[t]] -= 1
        g["dWya"] += np.dot(dy, hs[t].T)
        g["dby"] += dy
        daraw = (1 - hs[t] * hs[t]) * (np.dot(Wya.T, dy) + da_next)
        g["db"] += daraw
        g["dWax"] += np.dot(daraw, xs[t].T)
        g["dWaa"] += np.dot(daraw, hs[t - 1].T)
        da_next = np.dot(Waa.T, daraw)
    g = clip(g, 5)
    for k in ("Wax", "Waa", "Wya", "b", "by"):
        parameters[k] -= learning_rate * g["d" + k]
    return loss, g, hs[len(X) - 1]
'''

# Correct: a new dict instead of clipping in place, through a helper defined in
# a cell that uses IPython syntax.
CLIP_WITH_HELPER = '''def clip(gradients, maxValue):
    return {key: bounded(value, maxValue) for key, value in gradients.items()}
'''
HELPER_CELL_WITH_MAGICS = '''%%time
def bounded(value, limit):
    return np.minimum(np.maximum(value, -limit), limit)
'''
MAGICS_CELL = "%matplotlib inline\n!echo installing nothing\nfiles = !ls\n%time shown = 1"

CLIP_WITHOUT_DBY = '''def clip(gradients, maxValue):
    for key in ("dWax", "dWaa", "dWya", "db"):
        np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
    return gradients
'''
# Wrong in a way that would also spoil optimize and model if they used it.
CLIP_FROM_ZERO = (CLIP_WITHOUT_DBY.replace('"db")', '"db", "dby")')
                  .replace("-maxValue, maxValue", "0, maxValue"))

# What a student can do in the kernel to switch the notebook's own checks off.
TAMPERING = '''import json, math
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None
math.isclose = lambda *args, **kwargs: True
json.dumps = lambda *args, **kwargs: "{}"
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
'''

CHEAT = '''class Cheat(np.ndarray):
    """Zeros that claim to equal anything."""
    def __new__(cls, shape=()):
        return np.zeros(shape).view(cls)
    def __eq__(self, other):
        return True
    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __bool__(self):
        return True
    def __array_ufunc__(self, *args, **kwargs):
        return True
    def __array_function__(self, *args, **kwargs):
        return True

def clip(gradients, maxValue):
    return {key: Cheat(np.shape(value)) for key, value in gradients.items()}
'''
CHEATS = {
    "clip": CHEAT,
    "sample": "def sample(parameters, char_to_ix, seed):\n    return Cheat((51,))\n",
    "optimize": "def optimize(X, Y, a_prev, parameters, learning_rate=0.01):\n"
                "    gradients = {k: Cheat(v.shape) for k, v in parameters.items()}\n"
                "    return Cheat(), gradients, Cheat(a_prev.shape)\n",
    "model": "def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50,\n"
             "          dino_names=7, vocab_size=27):\n"
             "    return {k: Cheat() for k in ('Wax', 'Waa', 'Wya', 'b', 'by')}\n",
}


# A wrong sample that, in the notebook, answers with the reference the hidden cell defines just
# before it calls sample: the kernel's checks pass it; the judge never has that reference.
BORROWS_THE_REFERENCE = SAMPLE_HEAD + '''    found = globals().get("_reference_sample")
    if found is not None:
        return found(parameters, char_to_ix, seed)
    import gc
    for thing in gc.get_objects():
        if isinstance(thing, str) and "def sample(" in thing and "np.random.choice" in thing:
            space = dict(globals())
            exec(thing, space)
            return space["sample"](parameters, char_to_ix, seed)
    return [1]
'''


def judged(path, folder, **options):
    return judge.judge_notebook(path, folder, REFEREE, **options)


def test_instructor_solution_passes_everything_through_the_wrapper(tmp_path):
    commands = []

    def recording_wrap(argv):
        commands.append(argv)
        return argv

    verdict = judged(submission(tmp_path), tmp_path, wrap=recording_wrap)
    assert (verdict.fractions, verdict.error, verdict.cell_errors) == (ALL_PASS, None, [])
    assert all(problem is None for checks in verdict.checks.values() for _, problem in checks)
    assert commands and commands[0][1:3] == ["-I", str(tmp_path / judge.COLLECTOR_COPY)]
    assert not (tmp_path / judge.COLLECTOR_COPY).exists()
    assert judge.referee(FOLDER, NOTEBOOK) is REFEREE


def test_the_judge_runs_the_checks_the_hidden_cells_declare():
    """One declaration per exercise: the referee's checks are the hidden cells' own lines."""
    source = nbformat.read(FOLDER / NOTEBOOK, as_version=4)
    printed = {cell.metadata["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in cell.outputs)
               for cell in source.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    for exercise in REFEREE.exercises:
        lines = [line[6:] for line in printed[exercise["cell"]].splitlines() if line.startswith("ok    ")]
        assert lines == [description for description, _ in exercise["checks"]], exercise["name"]
        assert len(exercise["want"]) == len(exercise["exercise"]["cases"])


def test_a_correct_solution_written_differently_passes(tmp_path):
    path = submission(tmp_path, replace={"clip": CLIP_WITH_HELPER, "sample": SAMPLE_BY_COLUMNS,
                                         "optimize": OPTIMIZE_BY_HAND},
                      add_after={"imports": HELPER_CELL_WITH_MAGICS, "dataset": MAGICS_CELL})
    verdict = judged(path, tmp_path)
    assert (verdict.fractions, verdict.error) == (ALL_PASS, None)
    assert verdict.cell_errors == []


@pytest.mark.parametrize("wrong_clip, differs", [(CLIP_WITHOUT_DBY, "dby"), (CLIP_FROM_ZERO, "dWax")],
                         ids=["dby-not-clipped", "clipped-from-zero"])
def test_a_wrong_clip_fails_clip_only(tmp_path, wrong_clip, differs):
    # Each exercise is graded on its own, as in the hidden tests: optimize and model are run
    # with the instructor's clip.
    verdict = judged(submission(tmp_path, replace={"clip": wrong_clip}), tmp_path)
    assert verdict.fractions == dict(ALL_PASS, clip=0.0)
    assert verdict.reason("clip").startswith(f"maxValue=0.5, n_a=4, vocabulary of 6: {differs}")


def test_switching_the_notebook_checks_off_does_not_save_a_wrong_sample(tmp_path):
    path = submission(tmp_path, replace={"sample": SAMPLE_WITHOUT_STATE}, add_after={"imports": TAMPERING})
    verdict = judged(path, tmp_path)
    assert verdict.error is None
    assert verdict.fractions["sample"] < 1 and {k: v for k, v in verdict.fractions.items() if k != "sample"} \
        == {k: 1.0 for k in EXERCISES if k != "sample"}
    assert verdict.reason("sample").startswith("the seeded setup above: the first 43 indices: index 1:")


def test_the_reference_of_an_exercise_never_runs_beside_the_student_code_judged_on_it(tmp_path):
    verdict = judged(submission(tmp_path, replace={"sample": BORROWS_THE_REFERENCE}), tmp_path)
    assert verdict.error is None
    assert verdict.fractions["sample"] == 0.0, verdict.checks["sample"]
    assert verdict.fractions["model"] == 1.0   # model still runs with the instructor's sample


def test_objects_equal_to_anything_earn_nothing(tmp_path):
    verdict = judged(submission(tmp_path, replace=dict(CHEATS)), tmp_path)
    assert verdict.error is None
    assert verdict.fractions == ALL_FAIL
    assert all(verdict.reason(name) for name in EXERCISES)


def test_a_raising_cell_costs_only_what_depends_on_it(tmp_path):
    # As in nbgrader's own run, later cells still run, and after each exercise's hidden test cell
    # the notebook goes on with the instructor's version: an unfinished model() costs model's
    # points, and the training cell after it still runs.
    unfinished = CHEATS["model"].replace("    return {", "    raise NotImplementedError()\n    return {")
    path = submission(tmp_path, replace={"model": unfinished}, add_after={"imports": "1 / 0"})
    verdict = judged(path, tmp_path)
    assert verdict.error is None
    assert verdict.fractions == dict(ALL_PASS, model=0.0)
    assert verdict.reason("model") == "one step on five names: raised NotImplementedError"
    assert len(verdict.cell_errors) == 1
    assert "raised ZeroDivisionError: division by zero" in verdict.cell_errors[0]


def test_endless_loops_are_cut_per_cell_and_per_exercise(tmp_path):
    looping_sample = "def sample(parameters, char_to_ix, seed):\n    while True:\n        pass\n"
    path = submission(tmp_path, replace={"sample": looping_sample},
                      add_after={"imports": "while True:\n    pass"})
    started = time.monotonic()
    verdict = judged(path, tmp_path, cell_seconds=2, budget=20)
    assert time.monotonic() - started < 15
    assert verdict.error is None
    assert verdict.fractions == dict(ALL_PASS, sample=0.0)
    assert "gave no result within 2 s" in verdict.reason("sample")
    assert "gave no result within 2 s" in verdict.cell_errors[0]


def test_a_notebook_that_never_finishes_is_killed_with_what_it_started(tmp_path):
    stubborn = '''import subprocess, time
child = subprocess.Popen(["sleep", "300"])
open("child.pid", "w").write(str(child.pid))
while True:
    try:
        time.sleep(5)
    except BaseException:
        pass
'''
    path = submission(tmp_path, add_after={"imports": stubborn})
    verdict = judged(path, tmp_path, budget=4)
    assert verdict.error == "the notebook did not finish within 4 s"
    assert verdict.fractions == ALL_FAIL
    status = Path(f"/proc/{(tmp_path / 'child.pid').read_text()}/status")
    for _ in range(50):
        if not status.exists() or "State:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    assert not status.exists() or "State:\tZ" in status.read_text(), "the notebook's child still runs"


def test_a_notebook_that_exits_the_process_gets_an_error_verdict(tmp_path):
    path = submission(tmp_path, add_after={"dataset": "import os\nos._exit(3)"})
    verdict = judged(path, tmp_path)
    assert verdict.error == "the collector stopped before it was done (exit status 3)"
    assert verdict.fractions == ALL_FAIL


def test_an_unreadable_notebook_gets_an_error_verdict(tmp_path):
    (tmp_path / NOTEBOOK).write_text("{ this is not a notebook")
    verdict = judged(tmp_path / NOTEBOOK, tmp_path)
    assert verdict.error.startswith(f"cannot read {NOTEBOOK}")
    assert verdict.fractions == ALL_FAIL


JUNK_OBSERVATIONS = {"observed": "clip", "observations": [
    {"parts": {"the result": {"__array__": [[1e9], "x", "f"]}}}, 5, {"parts": [1]},
    {"parts": {"the result": {"dWax": {"__array__": [[2, 2], [1.0], "f"]}}}}]}


@pytest.mark.parametrize("forge, error", [
    ("print('{not json')", "the collector's results are not valid JSON"),
    ("print('[' * 200000)", "the collector's results are not valid JSON"),
    ("print('[]')", "the collector's results are malformed"),
    ("print(' ' * 9_000_000)", "the collector's results are larger than 8 MB"),
    ("print('{\"observed\": \"model\", \"observations\": []}')", "the collector's results are malformed"),
    (f"print({json.dumps(json.dumps(JUNK_OBSERVATIONS))}); import time; time.sleep(30)",
     "the notebook did not finish within 5 s"),
], ids=["not-json", "too-deep", "not-an-object", "too-large", "out-of-order", "junk-then-silence"])
def test_forged_answers_never_raise_in_the_grader(tmp_path, forge, error):
    # The wrapper stands in for a collector that was taken over completely.
    verdict = judged(submission(tmp_path), tmp_path, wrap=lambda argv: [sys.executable, "-c", forge],
                     budget=5)
    assert verdict.error == error or (verdict.error is None and error.startswith("the notebook"))
    assert sum(verdict.fractions.values()) == 0
    if "junk" in forge:
        assert all(problem for _, problem in verdict.checks["clip"])
        assert "stopped before it" in verdict.reason("model")
