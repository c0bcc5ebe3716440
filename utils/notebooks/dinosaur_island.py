# %% [markdown]
# # Dinosaur Island: a character-level language model
#
# The island's biologists are hatching new kinds of dinosaur, and every new kind needs a name.
# A name that sounds wrong upsets the animal, so the names had better sound like real ones.
# In this assignment you teach a small recurrent neural network (RNN) to spell dinosaur names
# one character at a time, then ask it to invent new ones.
#
# You will learn how to:
# - turn text into sequences of character indices an RNN can read,
# - keep training stable by clipping exploding gradients,
# - generate text by sampling one character at a time and feeding it back in,
# - put these pieces together into a training loop.
#
# The forward and backward passes through time are given to you in `rnn_utils.py`
# (`rnn_forward`, `rnn_backward`); read their docstrings for the shapes they use.

# %% [readonly] id=imports
import os

import numpy as np

from rnn_utils import *

# %% [readonly] id=checks
# The graded checks use what this cell takes before any exercise runs: the course helpers as
# shipped (an exercise may define its own under the same name) and tools that call your
# functions on fresh copies of their inputs and compare the results as plain floats.
# While nbgrader grades, warnings are not shown: it gives no points to a check cell that writes
# anything to stderr, and a harmless RuntimeWarning must not cost a correct solution its points.
import contextlib as _contextlib
import copy as _copy
import io as _io
import warnings as _warnings

from rnn_utils import initialize_parameters as _initialize_parameters
from rnn_utils import rnn_backward as _rnn_backward
from rnn_utils import rnn_forward as _rnn_forward
from rnn_utils import softmax as _softmax
from rnn_utils import update_parameters as _update_parameters

if os.environ.get("NBGRADER_EXECUTION"):
    _warnings.simplefilter("ignore")
    np.seterr(all="ignore")


def _quiet_call(function, *args, **kwargs):
    """function(*args, **kwargs), its printing and warnings kept out of the check's output."""
    if not callable(function):
        raise NameError("the function is not defined: did its cell run without an error?")
    with _warnings.catch_warnings(), np.errstate(all="ignore"), \
            _contextlib.redirect_stdout(_io.StringIO()), _contextlib.redirect_stderr(_io.StringIO()):
        _warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _fresh(value):
    """A deep copy: a function that changes its inputs cannot change what later checks use."""
    return _copy.deepcopy(value)


def _floats(value):
    """value as a plain float ndarray (an array subclass and its comparison methods dropped)."""
    return np.array(value, dtype=float)


def _difference(name, got, want, tolerance=0.0):
    """None if got equals the float array want to within tolerance, else the first entry that differs."""
    got = _floats(got)
    if got.shape != want.shape:
        return f"{name} has shape {got.shape}, expected {want.shape}"
    wrong = np.argwhere(~(np.abs(got - want) <= tolerance))
    if len(wrong) == 0:
        return None
    at = tuple(int(i) for i in wrong[0])
    where = name + (str(list(at)) if at else "")
    return f"{where}: expected {want[at]:.10g}, got {got[at]:.10g} ({len(wrong)} of {want.size} entries differ)"


def _grade(points, checks):
    """Run the checks, print one line for each and return the points earned.

    checks: {what is checked: function returning None when it passes, else what went wrong}.
    Every check earns the same share of the points; a check whose call raises an error fails.
    """
    passed = 0
    for what, check in checks.items():
        try:
            problem = check()
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"[:300]
        passed += problem is None
        print(f"ok    {what}" if problem is None else f"FAIL  {what}: {problem}")
    return round(points * passed / len(checks), 2)


# %% [markdown]
# ## 1 - The problem
# ### 1.1 - The dataset and its vocabulary
#
# `dinos.txt` holds one real dinosaur genus per line. Names are lower-cased, and the
# vocabulary is the 26 letters plus the newline character `"\n"`, which marks the end of a
# name (it plays the part of an end-of-sequence token). Sorting the characters puts the
# newline first, so its index is 0 and `a` to `z` are 1 to 26.

# %% [readonly] id=dataset
with open("dinos.txt") as f:
    data = f.read().lower().split()
chars = sorted(set("".join(data)) | {"\n"})
vocab_size = len(chars)
char_to_ix = {ch: i for i, ch in enumerate(chars)}
ix_to_char = {i: ch for i, ch in enumerate(chars)}
print(f"{len(data)} names, {vocab_size} distinct characters")
print(ix_to_char)

# %% [markdown]
# ### 1.2 - The model at a glance
#
# Training follows the usual loop, one name at a time (stochastic gradient descent):
# 1. initialise the parameters;
# 2. for each step: run the network forward over a name and compute the loss, back-propagate
#    through time to get the gradients, **clip** the gradients, and update the parameters;
# 3. return the learned parameters.
#
# At every time step the network reads one character and predicts the next one. For a name
# `x⟨1⟩ … x⟨T⟩` the input sequence is the name shifted right by one (it starts with an all-zero
# vector, written `None`), and the target at step t is the character `x⟨t⟩`; after the last
# letter the target is the newline.

# %% [markdown]
# ## 2 - Building blocks
# ### 2.1 - Clipping the gradients
#
# Gradients of an RNN can grow very large from one step to the next ("exploding gradients"),
# and one huge update can undo hours of training. A simple remedy is element-wise clipping:
# every entry of every gradient is forced into the range `[-maxValue, maxValue]`: values above
# `maxValue` become `maxValue`, values below `-maxValue` become `-maxValue`, the rest stay.
#
# **Exercise.** Implement `clip`. It receives the dictionary `gradients` with the keys `dWax`,
# `dWaa`, `dWya`, `db`, `dby` and returns it with every one of those arrays clipped.
# `np.clip` with its `out=` argument can do it in place.

# %% [solution] id=clip
def clip(gradients, maxValue):
    """Clip dWax, dWaa, dWya, db and dby element-wise to [-maxValue, maxValue].

    gradients: dict of numpy arrays; maxValue: positive number. Returns gradients.
    """
    ### BEGIN SOLUTION
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
    ### END SOLUTION
    return gradients

# %% [tests] id=clip_visible points=1
def _clip_setup():
    np.random.seed(3)
    shapes = [("dWax", (5, 3)), ("dWaa", (5, 5)), ("dWya", (2, 5)), ("db", (5, 1)), ("dby", (2, 1))]
    return {key: np.random.randn(*shape) * 10 for key, shape in shapes}

for _max, _expected in ((10, (10.0, -10.0, 0.29713815361, 10.0, 8.45833407)),
                        (5, (5.0, -5.0, 0.29713815361, 5.0, 5.0))):
    _g = clip(_clip_setup(), _max)
    _got = (_g["dWaa"][1][2], _g["dWax"][3][1], _g["dWya"][1][2], _g["db"][4][0], _g["dby"][1][0])
    print(f"maxValue={_max}: dWaa[1][2] = {_got[0]}, dWax[3][1] = {_got[1]}, "
          f"dWya[1][2] = {_got[2]:.11f}, db[4] = {_g['db'][4]}, dby[1] = {_g['dby'][1]}")
    for _name, _value, _want in zip(("dWaa[1][2]", "dWax[3][1]", "dWya[1][2]", "db[4]", "dby[1]"), _got, _expected):
        assert abs(float(_value) - _want) < 1e-8, f"{_name}: expected {_want}, got {float(_value)}"
print("clip: the seeded values match.")


# %% [tests] id=clip_hidden points=2
# Hidden tests: several bounds and shapes, values exactly at the bounds, zeros and values inside
# the range (which must stay as they are, to rounding); clipping in place and returning new arrays
# both count.
### BEGIN HIDDEN TESTS
def _reference_clip(gradients, maxValue):
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
    return gradients

# Each exercise is graded on its own: from here on the notebook clips with the reference.
_student_clip, clip = globals().get("clip"), _reference_clip


def _clip_check(maxValue, n_a, n_x, seed):
    rng = np.random.default_rng(seed)
    shapes = {"dWax": (n_a, n_x), "dWaa": (n_a, n_a), "dWya": (n_x, n_a), "db": (n_a, 1), "dby": (n_x, 1)}
    gradients = {key: rng.normal(0, 2 * maxValue, shape) for key, shape in shapes.items()}
    for g in gradients.values():
        g.flat[:3] = maxValue, -maxValue, 0.0
    want = _reference_clip(_fresh(gradients), maxValue)

    def check():
        got = _quiet_call(_student_clip, _fresh(gradients), maxValue)
        for key in want:
            if key not in got:
                return f"the returned dictionary has no {key}"
            problem = _difference(key, got[key], want[key], 1e-12 * maxValue)
            if problem:
                return problem
    return check


_grade(2, {f"maxValue={m}, n_a={n_a}, vocabulary of {n_x}": _clip_check(m, n_a, n_x, seed)
           for m, n_a, n_x, seed in ((0.5, 4, 6, 1), (3, 7, 3, 2), (7.25, 3, 27, 3), (10, 5, 5, 4))})
### END HIDDEN TESTS


# %% [markdown]
# ### 2.2 - Sampling
#
# Suppose the network is trained. To invent a name, feed it the all-zero input, read the
# probability vector it predicts for the first character, draw a character from it, feed that
# character back in as the next input (as a one-hot vector), and repeat until the network
# produces the newline. The equations of one step are
#
# $$a^{\langle t+1 \rangle} = \tanh(W_{ax}\, x^{\langle t+1 \rangle} + W_{aa}\, a^{\langle t \rangle} + b), \qquad
#   z^{\langle t+1 \rangle} = W_{ya}\, a^{\langle t+1 \rangle} + b_y, \qquad
#   \hat y^{\langle t+1 \rangle} = \mathrm{softmax}(z^{\langle t+1 \rangle}).$$
#
# **Exercise.** Implement `sample`:
# 1. start with `x` and `a_prev` all zeros, of shapes `(vocab_size, 1)` and `(n_a, 1)`;
# 2. run one step of the equations above (`softmax` is in `rnn_utils`);
# 3. so that everyone's results can be compared, call `np.random.seed(counter + seed)` right
#    before each draw, then draw the index with `np.random.choice(range(vocab_size), p=y.ravel())`;
#    afterwards add 1 to both `seed` and `counter`;
# 4. make `x` the one-hot vector of the drawn index and carry the hidden state on.
#
# Stop at the newline or after 50 characters; when the cap of 50 is reached, append the
# newline's index yourself. Return the list of sampled indices (as Python ints).

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    """Sample a name from the RNN.

    parameters: dict with Waa (n_a, n_a), Wax (n_a, vocab), Wya (vocab, n_a), b (n_a, 1),
    by (vocab, 1); char_to_ix: dict character -> index; seed: int.
    Returns the list of sampled indices, ending with the newline's index.
    """
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    ### BEGIN SOLUTION
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((n_a, 1))
    indices = []
    idx = -1
    counter = 0
    newline = char_to_ix["\n"]
    while idx != newline and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(newline)
    ### END SOLUTION
    return indices

# %% [markdown]
# The expected list from the seeded setup below is
#
# `[12, 17, 24, 14, 13, 9, 10, 22, 24, 6, 13, 11, 12, 6, 21, 15, 21, 14, 3, 2, 1, 21, 18, 24, 7, 25, 6, 25, 18, 10, 16, 2, 3, 8, 15, 12, 11, 7, 1, 12, 10, 2, 7, 7, 11, 5, 6, 12, 25, 0, 0]`
#
# **Why your tail may differ.** These weights are drawn from N(0, 1), far larger than a trained
# network's, and with them the RNN is chaotic: a rounding difference of 1e-16 (another BLAS
# library, another order of summation) grows until it changes a draw. The first 43 indices are
# robust; from position 43 on, a correct solution can give another tail (numpy 2.4.6 on Linux
# gives `..., 7, 3, 11, 2, 6, 12, 13, 15, 0`). The check below compares the first 43 only.

# %% [tests] id=sample_visible points=1
np.random.seed(2)
_n_a = 100
_params = {"Wax": np.random.randn(_n_a, vocab_size), "Waa": np.random.randn(_n_a, _n_a),
           "Wya": np.random.randn(vocab_size, _n_a), "b": np.random.randn(_n_a, 1),
           "by": np.random.randn(vocab_size, 1)}
_indices = sample(_params, char_to_ix, 0)
print("list of sampled indices:", [int(i) for i in _indices])
print("list of sampled characters:", [ix_to_char[int(i)] for i in _indices])
_seeded = [12, 17, 24, 14, 13, 9, 10, 22, 24, 6, 13, 11, 12, 6, 21, 15, 21, 14, 3, 2, 1, 21,
           18, 24, 7, 25, 6, 25, 18, 10, 16, 2, 3, 8, 15, 12, 11, 7, 1, 12, 10, 2, 7]
for _t, _want in enumerate(_seeded):
    assert int(_indices[_t]) == _want, f"index {_t}: expected {_want}, got {int(_indices[_t])}"
assert len(_indices) <= 51 and int(_indices[-1]) == char_to_ix["\n"], "a name must end with the newline index"
print("sample: the first 43 indices match.")


# %% [tests] id=sample_hidden points=2
# Hidden tests: the seeded setup above (first 43 indices, where every correct solution agrees),
# well-conditioned weights (where every correct solution gives the same whole list), a smaller
# vocabulary, the 50-character cap, and what every returned list must look like.
### BEGIN HIDDEN TESTS
def _reference_sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((n_a, 1))
    indices = []
    idx = -1
    counter = 0
    newline = char_to_ix["\n"]
    while idx != newline and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = _softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(newline)
    return indices

# Each exercise is graded on its own: from here on the notebook samples with the reference.
_student_sample, sample = globals().get("sample"), _reference_sample


def _sample_setup(seed, n_a, letters="abcdefghijklmnopqrstuvwxyz", scale=0.3, newline_bias=0.5):
    """(parameters, char_to_ix): weights N(0, scale**2), the vocabulary the newline and letters."""
    rng = np.random.default_rng(seed)
    n_x = len(letters) + 1
    parameters = {"Wax": rng.normal(0, scale, (n_a, n_x)), "Waa": rng.normal(0, scale, (n_a, n_a)),
                  "Wya": rng.normal(0, scale, (n_x, n_a)), "b": rng.normal(0, scale, (n_a, 1)),
                  "by": rng.normal(0, scale, (n_x, 1))}
    parameters["by"][0] += newline_bias
    return parameters, {ch: i for i, ch in enumerate("\n" + letters)}


def _seeded_setup():
    """The setup of the visible check: N(0, 1) weights, 100 hidden units."""
    np.random.seed(2)
    parameters = {"Wax": np.random.randn(100, 27), "Waa": np.random.randn(100, 100),
                  "Wya": np.random.randn(27, 100), "b": np.random.randn(100, 1), "by": np.random.randn(27, 1)}
    return parameters, char_to_ix


_sample_setups = {
    "12 hidden units, seed 0": (_sample_setup(100, 12), 0),
    "5 hidden units, seed 10": (_sample_setup(101, 5), 10),
    "30 hidden units, seed 5": (_sample_setup(102, 30, scale=0.4), 5),
    "a vocabulary of 6 characters, seed 8": (_sample_setup(103, 8, letters="abcde", newline_bias=-2.0), 8),
    "a newline that is rarely drawn (the 50-character cap), seed 11": (_sample_setup(104, 12, newline_bias=-4.5), 11),
}


def _indices_difference(got, want):
    for t, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return f"index {t}: expected {w}, got {g}"
    if len(got) != len(want):
        return f"expected {len(want)} indices, got {len(got)}"


def _sample_check(setup, seed):
    parameters, vocabulary = setup

    def check():
        got = [int(i) for i in _quiet_call(_student_sample, _fresh(parameters), dict(vocabulary), seed)]
        return _indices_difference(got, _reference_sample(_fresh(parameters), vocabulary, seed))
    return check


def _seeded_prefix():
    parameters, vocabulary = _seeded_setup()
    got = [int(i) for i in _quiet_call(_student_sample, _fresh(parameters), dict(vocabulary), 0)]
    return _indices_difference(got[:43], _reference_sample(parameters, vocabulary, 0)[:43])


def _names_well_formed():
    """Every list: ints in range, at most 50 characters, then the newline and nothing after it."""
    for what, (setup, seed) in {"the seeded setup": (_seeded_setup(), 0), **_sample_setups}.items():
        (parameters, vocabulary) = setup
        got = list(_quiet_call(_student_sample, _fresh(parameters), dict(vocabulary), seed))
        newline, size = vocabulary["\n"], len(vocabulary)
        if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in got):
            return f"{what}: the indices must be ints, got {sorted({type(i).__name__ for i in got})}"
        if not all(0 <= i < size for i in got):
            return f"{what}: an index out of range(0, {size})"
        if not got or int(got[-1]) != newline:
            return f"{what}: the list does not end with the newline index {newline}"
        if newline in [int(i) for i in got[:-1]]:
            return f"{what}: the newline index {newline} appears before the end"
        if len(got) > 51:
            return f"{what}: {len(got) - 1} characters before the newline, more than 50"


_grade(2, {"the seeded setup above: the first 43 indices": _seeded_prefix,
           **{what: _sample_check(setup, seed) for what, (setup, seed) in _sample_setups.items()},
           "every list is a name: ints in range, at most 50 characters, then the newline": _names_well_formed})
### END HIDDEN TESTS


# %% [markdown]
# ## 3 - Building the language model
# ### 3.1 - One step of gradient descent
#
# **Exercise.** Implement `optimize`, one step of stochastic gradient descent on one example:
# forward pass (`rnn_forward`), backward pass (`rnn_backward`), clipping at 5 (your `clip`),
# and the update (`update_parameters`). Return the loss, the clipped gradients and the last
# hidden state `a[len(X) - 1]`, which the next example starts from.

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    """One SGD step on the example (X, Y) starting from the hidden state a_prev (n_a, 1).

    Updates parameters in place. Returns (loss, gradients, a_last) with a_last (n_a, 1).
    """
    ### BEGIN SOLUTION
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    ### END SOLUTION
    return loss, gradients, a[len(X) - 1]

# %% [tests] id=optimize_visible points=1
np.random.seed(1)
_n_a = 100
_a_prev = np.random.randn(_n_a, 1)
_params = {"Wax": np.random.randn(_n_a, vocab_size), "Waa": np.random.randn(_n_a, _n_a),
           "Wya": np.random.randn(vocab_size, _n_a), "b": np.random.randn(_n_a, 1),
           "by": np.random.randn(vocab_size, 1)}
_X = [12, 3, 5, 11, 22, 3]
_Y = [4, 14, 11, 22, 25, 26]
_loss, _g, _a_last = optimize(_X, _Y, _a_prev, _params, learning_rate=0.01)
_got = {"Loss": float(_loss), "dWaa[1][2]": float(_g["dWaa"][1][2]), "argmax(dWax)": int(np.argmax(_g["dWax"])),
        "dWya[1][2]": float(_g["dWya"][1][2]), "db[4]": float(_g["db"][4][0]), "dby[1]": float(_g["dby"][1][0]),
        "a_last[4]": float(_a_last[4][0])}
_expected = {"Loss": 126.503975722, "dWaa[1][2]": 0.194709315347, "argmax(dWax)": 93,
             "dWya[1][2]": -0.007773876032, "db[4]": -0.06809825, "dby[1]": 0.01538192, "a_last[4]": -1.0}
for _name, _want in _expected.items():
    print(f"{_name} = {_got[_name]:.12g}")
    assert abs(_got[_name] - _want) < 1e-7, f"{_name}: expected {_want}, got {_got[_name]}"
print("optimize: the seeded values match.")


# %% [tests] id=optimize_hidden points=2
# Hidden tests: the seeded setup above and three more (other examples, sizes and learning rates,
# gradients far beyond the bound of 5), each compared to the reference step: the loss, the
# returned gradients, the returned state and the parameters after the step.
### BEGIN HIDDEN TESTS
def _reference_optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = _rnn_forward(X, Y, a_prev, parameters)
    gradients, a = _rnn_backward(X, Y, parameters, cache)
    gradients = _reference_clip(gradients, 5)
    parameters = _update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]

# Each exercise is graded on its own: from here on the notebook steps with the reference.
_student_optimize, optimize = globals().get("optimize"), _reference_optimize


def _optimize_setup(seed, n_a, name, scale, learning_rate):
    """(X, Y, a_prev, parameters, learning_rate) for one example, weights N(0, scale**2)."""
    rng = np.random.default_rng(seed)
    parameters = {"Wax": rng.normal(0, scale, (n_a, 27)), "Waa": rng.normal(0, scale, (n_a, n_a)),
                  "Wya": rng.normal(0, scale, (27, n_a)), "b": rng.normal(0, scale, (n_a, 1)),
                  "by": rng.normal(0, scale, (27, 1))}
    X = [None] + [char_to_ix[ch] for ch in name]
    return X, X[1:] + [char_to_ix["\n"]], rng.normal(0, 0.5, (n_a, 1)), parameters, learning_rate


def _seeded_optimize_setup():
    """The setup of the visible check."""
    np.random.seed(1)
    a_prev = np.random.randn(100, 1)
    parameters = {"Wax": np.random.randn(100, 27), "Waa": np.random.randn(100, 100),
                  "Wya": np.random.randn(27, 100), "b": np.random.randn(100, 1), "by": np.random.randn(27, 1)}
    return [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26], a_prev, parameters, 0.01


_optimize_setups = {
    "the seeded setup above": _seeded_optimize_setup(),
    "'iguanodon', learning rate 0.05": _optimize_setup(7, 20, "iguanodon", 1.0, 0.05),
    "'bob', small weights, learning rate 0.1": _optimize_setup(8, 10, "bob", 0.1, 0.1),
    "'pachycephalosaurus', gradients far beyond 5, learning rate 0.02": _optimize_setup(9, 15, "pachycephalosaurus", 3.0, 0.02),
}


def _optimize_check(compare):
    """A check running the student's step and the reference on every setup and applying
    compare(got, want, parameters_after, reference_after, parameters_before) -> problem or None."""
    def check():
        for what, (X, Y, a_prev, parameters, rate) in _optimize_setups.items():
            mine, reference = _fresh(parameters), _fresh(parameters)
            got = _quiet_call(_student_optimize, list(X), list(Y), _fresh(a_prev), mine, learning_rate=rate)
            want = _reference_optimize(list(X), list(Y), _fresh(a_prev), reference, rate)
            problem = compare(got, want, mine, reference, parameters)
            if problem:
                return f"{what}: {problem}"
    return check


def _loss_check(got, want, mine, reference, before):
    return _difference("loss", float(got[0]), _floats(want[0]), 1e-8)


def _gradients_check(got, want, mine, reference, before):
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        problem = _difference(key, got[1][key], want[1][key], 1e-9)
        if problem:
            return problem


def _state_check(got, want, mine, reference, before):
    return _difference("the returned state", got[2], want[2], 1e-9)


def _parameters_check(got, want, mine, reference, before):
    if all(_difference(key, mine[key], before[key]) is None for key in before):
        return "the dictionary passed in still holds the parameters from before the step"
    for key in ("Wax", "Waa", "Wya", "b", "by"):
        problem = _difference(key, mine[key], reference[key], 1e-9)
        if problem:
            return problem


_grade(2, {"the loss": _optimize_check(_loss_check),
           "the returned gradients, clipped to [-5, 5]": _optimize_check(_gradients_check),
           "the returned hidden state a[len(X) - 1]": _optimize_check(_state_check),
           "the parameters after the step, updated in place": _optimize_check(_parameters_check)})
### END HIDDEN TESTS


# %% [markdown]
# ### 3.2 - Training the model
#
# Each name is one training example. Shuffle the names once (after `np.random.seed(0)`), then
# at step `j` train on name number `j % len(names)`, so the loop cycles through the list.
# Build the example as `X = [None] + [char_to_ix[ch] for ch in name]` and
# `Y = X[1:] + [char_to_ix["\n"]]`: `Y` is `X` shifted one step left, ending with the newline.
# Carry the hidden state `a_prev` from one example to the next. Every 2000 steps the loop prints
# the smoothed loss and `dino_names` sampled names (seeds 0, 1, ...).
#
# **Exercise.** Complete `model`.

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    """Train the RNN on the list of names `data` and return its parameters (see rnn_utils)."""
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    ### BEGIN SOLUTION
    names = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(names)
    a_prev = np.zeros((n_a, 1))
    ### END SOLUTION
    for j in training_steps(num_iterations):
        ### BEGIN SOLUTION
        name = names[j % len(names)]
        X = [None] + [char_to_ix[ch] for ch in name]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        ### END SOLUTION
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters

# %% [tests] id=model_visible points=1
# A short run on three names: the parameters after 40 steps must match the instructor's run.
_trained = model(["Aardonyx", "Tyrannosaurus ", "velociraptor"], ix_to_char, char_to_ix,
                 num_iterations=40, n_a=8, dino_names=2)
_summary = {key: round(float(np.abs(value).sum()), 8) for key, value in sorted(_trained.items())}
print("sum of |parameter| after 40 steps:", _summary)
_expected = {'Waa': 0.54438825, 'Wax': 1.62189798, 'Wya': 1.77059703, 'b': 0.04368229, 'by': 3.84833582}
for _key, _want in _expected.items():
    assert abs(_summary[_key] - _want) < 1e-6, f"{_key}: expected {_want}, got {_summary[_key]}"
print("model: the short run matches.")


# %% [tests] id=model_hidden points=2
# Hidden tests: short runs on small lists of names, each compared to the reference run (the
# parameters to 1e-8). When model() calls optimize, the first step that differs is described.
### BEGIN HIDDEN TESTS
_student_model = globals().get("model")


def _recording_optimize(calls):
    """The reference optimize, noting (X, Y, a_prev, learning_rate) of every call."""
    def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
        calls.append((list(X), list(Y), _floats(a_prev), float(learning_rate)))
        return _reference_optimize(X, Y, a_prev, parameters, learning_rate)
    return optimize


def _reference_model(data, num_iterations, n_a, step):
    parameters = _initialize_parameters(n_a, 27, 27)
    names = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(names)
    a_prev = np.zeros((n_a, 1))
    for j in range(num_iterations):
        X = [None] + [char_to_ix[ch] for ch in names[j % len(names)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = step(X, Y, a_prev, parameters, learning_rate=0.01)
    return parameters


def _step_difference(got, want):
    """Where the optimize calls of a run first differ from the reference run's, or None."""
    if not got:
        return "model() did not call optimize, so no step can be shown"
    for j, ((X, Y, a_prev, rate), (X_ref, Y_ref, a_ref, rate_ref)) in enumerate(zip(got, want)):
        if X != X_ref:
            return f"step {j}: X = {X}, expected {X_ref}"
        if Y != Y_ref:
            return f"step {j}: Y = {Y}, expected {Y_ref}"
        if rate != rate_ref:
            return f"step {j}: learning rate {rate}, expected {rate_ref}"
        if a_prev.shape != a_ref.shape or float(np.max(np.abs(a_prev - a_ref))) > 1e-8:
            return f"step {j}: a_prev is not the state the reference run starts this step from"
    if len(got) != len(want):
        return f"optimize was called {len(got)} times, expected {len(want)}"


def _model_check(names, num_iterations, n_a):
    def check():
        global optimize
        calls, calls_ref = [], []
        optimize = _recording_optimize(calls)
        try:
            got = _quiet_call(_student_model, list(names), dict(ix_to_char), dict(char_to_ix),
                              num_iterations=num_iterations, n_a=n_a, dino_names=1)
        finally:
            optimize = _reference_optimize
        want = _reference_model(list(names), num_iterations, n_a, _recording_optimize(calls_ref))
        for key in ("Wax", "Waa", "Wya", "b", "by"):
            problem = _difference(key, got[key], want[key], 1e-8)
            if problem:
                return f"{problem}; {_step_difference(calls, calls_ref) or 'the steps match the reference'}"
    return check


_five = ["stegosaurus", "iguanodon", "microraptor", "diplodocus", "oviraptor"]
_grade(2, {"one step on five names": _model_check(_five, 1, 6),
           "two steps on five names": _model_check(_five, 2, 6),
           "23 steps on five names (the list read four times and more)": _model_check(_five, 23, 6),
           "9 steps on three names with capitals and spaces, 4 hidden units":
               _model_check(["Carnotaurus", " Ankylosaurus", "Utahraptor "], 9, 4)})
### END HIDDEN TESTS


# %% [markdown]
# Run the training. With your solutions it takes well under a minute. The first samples are
# random letters; after a few thousand steps the names start to sound like dinosaurs.
# While nbgrader grades or validates, 100 steps are enough (and the plot is skipped): the graded
# tests call your functions directly.

# %%
num_iterations = 101 if os.environ.get("NBGRADER_EXECUTION") else 35000
parameters = model(data, ix_to_char, char_to_ix, num_iterations=num_iterations)

# %%
plot_loss(model.losses)

# %% [markdown]
# ## Conclusion
#
# At first the network produced random strings; by the end it has picked up how dinosaur
# names are built, with endings such as *-saurus*, *-don*, *-raptor* and *-tops*. Try training
# longer or changing the number of hidden units and see whether the names get better. Not
# every real name sounds great either, so treat the output as a list of candidates.
