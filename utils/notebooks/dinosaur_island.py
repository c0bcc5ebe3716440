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
import copy
import os

import numpy as np

import checks
from rnn_utils import *

# While nbgrader grades, warnings stay off stderr (a graded cell that writes to stderr scores 0).
checks.quiet_while_graded()

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
    _g = checks.run("clip", lambda: clip(_clip_setup(), _max))
    print(f"maxValue={_max}:")
    _got = {'gradients["dWaa"][1][2]': _g["dWaa"][1][2], 'gradients["dWax"][3][1]': _g["dWax"][3][1],
            'gradients["dWya"][1][2]': _g["dWya"][1][2], 'gradients["db"][4]': _g["db"][4],
            'gradients["dby"][1]': _g["dby"][1]}
    checks.expect(_got, dict(zip(_got, _expected)))
print("clip: the seeded values match.")

# %% [tests] id=clip_hidden reference=clip
# Hidden tests: several bounds and shapes, values exactly at the bounds, zeros and values inside
# the range (which must stay as they are); clipping in place and returning new arrays both count.
### BEGIN HIDDEN TESTS
import checks as _checks


def _random_gradients(maxValue, n_a, n_x, seed):
    """Gradients of a network with n_a hidden units and n_x characters. Every array starts with
    3 * maxValue and -3 * maxValue (so every one must be clipped at both ends), then exactly
    maxValue, -maxValue and 0; the rest are drawn from N(0, (2 * maxValue)**2)."""
    rng = np.random.default_rng(seed)
    shapes = {"dWax": (n_a, n_x), "dWaa": (n_a, n_a), "dWya": (n_x, n_a), "db": (n_a, 1), "dby": (n_x, 1)}
    gradients = {key: rng.normal(0, 2 * maxValue, shape) for key, shape in shapes.items()}
    for g in gradients.values():
        first = [3 * maxValue, -3 * maxValue, maxValue, -maxValue, 0.0][:g.size]
        g.flat[:len(first)] = first
    return gradients


_clip_checks = _checks.Exercise("clip", _reference_clip, compare=_checks.Close(1e-12))
for _m, _n_a, _n_x, _seed in ((0.5, 4, 6, 1), (3, 7, 3, 2), (7.25, 3, 27, 3), (10, 5, 5, 4)):
    _clip_checks.case(f"maxValue={_m}, n_a={_n_a}, vocabulary of {_n_x}",
                      _random_gradients(_m, _n_a, _n_x, _seed), _m)
_checks.grade(_clip_checks, globals(), points=2)
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
# newline's index yourself (also when the 50th character drawn was itself the newline: the
# list then ends `0, 0`). Return the list of sampled indices (as Python ints).

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
# The check below draws from weights taken from N(0, 1) with 100 hidden units. The assignment
# gives the list on the left; this kit's pinned numpy (2.4.6, Linux) gives the list on the right:
#
# | | the assignment's list | this kit's list |
# |---|---|---|
# | indices 0 to 42 | `12, 17, 24, 14, 13, 9, 10, 22, 24, 6, 13, 11, 12, 6, 21, 15, 21, 14, 3, 2, 1, 21, 18, 24, 7, 25, 6, 25, 18, 10, 16, 2, 3, 8, 15, 12, 11, 7, 1, 12, 10, 2, 7` | the same |
# | from index 43 | `7, 11, 5, 6, 12, 25, 0, 0` | `7, 3, 11, 2, 6, 12, 13, 15, 0` |
#
# **Why the tails differ.** Weights this large make the RNN chaotic: a rounding difference of
# 1e-16 (another BLAS library, another order of summation) grows until it changes a draw. The
# first 43 indices are robust, and the check compares those only; from index 43 on, a correct
# solution may give either tail, or another one.

# %% [tests] id=sample_visible points=1
np.random.seed(2)
_n_a = 100
_params = {"Wax": np.random.randn(_n_a, vocab_size), "Waa": np.random.randn(_n_a, _n_a),
           "Wya": np.random.randn(vocab_size, _n_a), "b": np.random.randn(_n_a, 1),
           "by": np.random.randn(vocab_size, 1)}
_indices = checks.run("sample", lambda: sample(_params, char_to_ix, 0))
print("list of sampled indices:", [int(i) for i in _indices])
print("list of sampled characters:", [ix_to_char[int(i)] for i in _indices])
_seeded = [12, 17, 24, 14, 13, 9, 10, 22, 24, 6, 13, 11, 12, 6, 21, 15, 21, 14, 3, 2, 1, 21,
           18, 24, 7, 25, 6, 25, 18, 10, 16, 2, 3, 8, 15, 12, 11, 7, 1, 12, 10, 2, 7]
for _t, _want in enumerate(_seeded):
    if _t >= len(_indices) or int(_indices[_t]) != _want:
        raise checks.CheckFailed(f"index {_t}: expected {_want}, got "
                                 f"{int(_indices[_t]) if _t < len(_indices) else 'nothing'}")
if not (len(_indices) <= 51 and int(_indices[-1]) == char_to_ix["\n"]):
    raise checks.CheckFailed("a name must end with the newline index")
print("sample: the first 43 indices match.")

# %% [tests] id=sample_hidden reference=sample
# Hidden tests: the seeded setup above (first 43 indices, where every correct solution agrees),
# well-conditioned weights (where every correct solution draws the same whole list), a smaller
# vocabulary, the 50-character cap (with and without a newline as the 50th draw), and what
# every returned list must look like.
### BEGIN HIDDEN TESTS
import checks as _checks


def _small_weights(seed, n_a, letters="abcdefghijklmnopqrstuvwxyz", scale=0.3, newline_bias=0.5):
    """(parameters, char_to_ix): weights N(0, scale**2), the vocabulary the newline and letters."""
    rng = np.random.default_rng(seed)
    n_x = len(letters) + 1
    parameters = {"Wax": rng.normal(0, scale, (n_a, n_x)), "Waa": rng.normal(0, scale, (n_a, n_a)),
                  "Wya": rng.normal(0, scale, (n_x, n_a)), "b": rng.normal(0, scale, (n_a, 1)),
                  "by": rng.normal(0, scale, (n_x, 1))}
    parameters["by"][0] += newline_bias
    return parameters, {ch: i for i, ch in enumerate("\n" + letters)}


np.random.seed(2)
_seeded_weights = {"Wax": np.random.randn(100, 27), "Waa": np.random.randn(100, 100),
                   "Wya": np.random.randn(27, 100), "b": np.random.randn(100, 1), "by": np.random.randn(27, 1)}
_sample_checks = _checks.Exercise("sample", _reference_sample, compare=_checks.Same(),
                                  rules=[_checks.SampledName(limit=50)])
_sample_checks.case("the seeded setup above: the first 43 indices", _seeded_weights, char_to_ix, 0,
                    compare=_checks.Prefix(43))
for _what, (_weights, _seed) in {
        "12 hidden units, seed 0": (_small_weights(100, 12), 0),
        "5 hidden units, seed 10": (_small_weights(101, 5), 10),
        "30 hidden units, seed 5": (_small_weights(102, 30, scale=0.4), 5),
        "a vocabulary of 6 characters, seed 8": (_small_weights(103, 8, letters="abcde", newline_bias=-2.0), 8),
        "a newline that is rarely drawn (the 50-character cap), seed 11": (_small_weights(104, 12, newline_bias=-4.5), 11)}.items():
    _sample_checks.case(_what, *_weights, _seed)
# The 50th character drawn is the newline: the assignment's loop then appends another one, and a
# list that ends at the drawn newline is a name too, so the 50 draws are what is compared.
_sample_checks.case("the 50th character drawn is the newline, seed 2829", *_small_weights(105, 12, newline_bias=-3.5),
                    2829, compare=_checks.Prefix(50))
_checks.grade(_sample_checks, globals(), points=2)
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
_loss, _g, _a_last = checks.run("optimize", lambda: optimize(_X, _Y, _a_prev, _params, learning_rate=0.01))
checks.expect({"Loss": _loss, 'gradients["dWaa"][1][2]': _g["dWaa"][1][2],
               'np.argmax(gradients["dWax"])': np.argmax(_g["dWax"]),
               'gradients["dWya"][1][2]': _g["dWya"][1][2], 'gradients["db"][4]': _g["db"][4],
               'gradients["dby"][1]': _g["dby"][1], "a_last[4]": _a_last[4]},
              {"Loss": 126.503975722, 'gradients["dWaa"][1][2]': 0.194709315347,
               'np.argmax(gradients["dWax"])': 93, 'gradients["dWya"][1][2]': -0.007773876032,
               'gradients["db"][4]': -0.06809825, 'gradients["dby"][1]': 0.01538192, "a_last[4]": -1.0},
              tolerance=1e-7)
print("optimize: the seeded values match.")

# %% [tests] id=optimize_hidden reference=optimize
# Hidden tests: the seeded setup above and three more (other examples, sizes and learning rates,
# gradients far beyond the bound of 5), each compared to the reference step: the loss, the
# returned gradients, the returned state and the parameters after the step.
### BEGIN HIDDEN TESTS
import checks as _checks


def _one_example(seed, n_a, name, scale, learning_rate):
    """(X, Y, a_prev, parameters, learning_rate) for one name, weights N(0, scale**2)."""
    rng = np.random.default_rng(seed)
    parameters = {"Wax": rng.normal(0, scale, (n_a, 27)), "Waa": rng.normal(0, scale, (n_a, n_a)),
                  "Wya": rng.normal(0, scale, (27, n_a)), "b": rng.normal(0, scale, (n_a, 1)),
                  "by": rng.normal(0, scale, (27, 1))}
    X = [None] + [char_to_ix[ch] for ch in name]
    return X, X[1:] + [char_to_ix["\n"]], rng.normal(0, 0.5, (n_a, 1)), parameters, learning_rate


np.random.seed(1)
_a_seeded = np.random.randn(100, 1)
_seeded_weights = {"Wax": np.random.randn(100, 27), "Waa": np.random.randn(100, 100),
                   "Wya": np.random.randn(27, 100), "b": np.random.randn(100, 1), "by": np.random.randn(27, 1)}
_optimize_checks = _checks.Exercise(
    "optimize", _reference_optimize, compare=_checks.Close(1e-9),
    observe={"the loss": "result[0]",
             "the returned gradients (clipped to [-5, 5])": ["result[1]", ["dWax", "dWaa", "dWya", "db", "dby"]],
             "the returned hidden state a[len(X) - 1]": "result[2]",
             "the parameters after the step (updated in place)": ["args[3]", ["Wax", "Waa", "Wya", "b", "by"]]})
_optimize_checks.case("the seeded setup above", [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26],
                      _a_seeded, _seeded_weights, learning_rate=0.01)
for _what, _example in {
        "'iguanodon', learning rate 0.05": _one_example(7, 20, "iguanodon", 1.0, 0.05),
        "'bob', small weights, learning rate 0.1": _one_example(8, 10, "bob", 0.1, 0.1),
        "'pachycephalosaurus', gradients far beyond 5, learning rate 0.02":
            _one_example(9, 15, "pachycephalosaurus", 3.0, 0.02)}.items():
    _optimize_checks.case(_what, *_example[:4], learning_rate=_example[4])
_checks.grade(_optimize_checks, globals(), points=2)
### END HIDDEN TESTS

# %% [markdown]
# ### 3.2 - Training the model
#
# Each name is one training example. `data` is the list of names as the notebook reads it from
# `dinos.txt`: lower-case, with no spaces around them (so `data[0]` is a string such as
# `"aachenosaurus"`). Shuffle a copy of the list once (after `np.random.seed(0)`), then at step
# `j` train on name number `j % len(names)`, so the loop goes through every name and starts
# again. Build the example as `X = [None] + [char_to_ix[ch] for ch in name]` and
# `Y = X[1:] + [char_to_ix["\n"]]`: `Y` is `X` shifted one step left, ending with the newline.
# Carry the hidden state `a_prev` from one example to the next. Every 2000 steps the loop prints
# the smoothed loss and `dino_names` sampled names (seeds 0, 1, ...).
#
# **Exercise.** Complete `model`.

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    """Train the RNN on `data`, a list of names (lower-case strings, no spaces around them).

    Returns the trained parameters (see rnn_utils.initialize_parameters); the smoothed loss of
    every step is kept in model.losses.
    """
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    ### BEGIN SOLUTION
    names = list(data)
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
_trained = checks.run("model", lambda: model(["aardonyx", "tyrannosaurus", "velociraptor"], ix_to_char,
                                             char_to_ix, num_iterations=40, n_a=8, dino_names=2))
_summary = {key: round(float(np.abs(value).sum()), 8) for key, value in sorted(_trained.items())}
checks.expect({f"sum of |{key}|": value for key, value in _summary.items()},
              {"sum of |Waa|": 0.54438825, "sum of |Wax|": 1.62189798, "sum of |Wya|": 1.77059703,
               "sum of |b|": 0.04368229, "sum of |by|": 3.84833582}, tolerance=1e-6)
print("model: the short run matches.")

# %% [tests] id=model_hidden reference=model
# Hidden tests: short runs on lists of names as the notebook passes them (lower-case, no spaces
# around them), among them a list longer than ten names trained for more steps than it is long,
# each compared to the reference run (the parameters to 1e-9). When the parameters differ, the
# first call of optimize that differs from the reference run's is shown.
### BEGIN HIDDEN TESTS
import checks as _checks

_model_checks = _checks.Exercise("model", _reference_model, compare=_checks.Close(1e-9),
                                 trace=("optimize", "X", "Y", "a_prev", "learning_rate"))
_five = ["stegosaurus", "iguanodon", "microraptor", "diplodocus", "oviraptor"]
for _what, (_names, _steps, _n_a) in {
        "one step on five names": (_five, 1, 6),
        "two steps on five names": (_five, 2, 6),
        "23 steps on five names (the list read four times and more)": (_five, 23, 6),
        "9 steps on three names, 4 hidden units": (["carnotaurus", "ankylosaurus", "utahraptor"], 9, 4),
        "40 steps on 17 names of dinos.txt (every name used, the list read twice and more)":
            (data[::80][:17], 40, 5)}.items():
    _model_checks.case(_what, _names, ix_to_char, char_to_ix, num_iterations=_steps, n_a=_n_a, dino_names=1)
_checks.grade(_model_checks, globals(), points=2)
### END HIDDEN TESTS

# %% [markdown]
# Run the training. With your solutions it takes well under a minute. The first samples are
# random letters; after a few thousand steps the names start to sound like dinosaurs.
# While nbgrader grades or validates, 100 steps are enough (and the plot is skipped): the graded
# tests call your functions directly.

# %%
num_iterations = 100 if os.environ.get("NBGRADER_EXECUTION") else 35000
parameters = model(data, ix_to_char, char_to_ix, num_iterations=num_iterations)

# %%
plot_loss(getattr(model, "losses", None))

# %% [markdown]
# ## Conclusion
#
# At first the network produced random strings; by the end it has picked up how dinosaur
# names are built, with endings such as *-saurus*, *-don*, *-raptor* and *-tops*. Try training
# longer or changing the number of hidden units and see whether the names get better. Not
# every real name sounds great either, so treat the output as a list of candidates.
