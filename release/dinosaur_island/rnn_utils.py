"""Helpers for the Dinosaur Island assignment: a character-level RNN in numpy.

Shapes used throughout (n_a hidden units, n_x = n_y = vocab_size characters):

    Wax (n_a, n_x)   input to hidden        b  (n_a, 1)  hidden bias
    Waa (n_a, n_a)   hidden to hidden       by (n_y, 1)  output bias
    Wya (n_y, n_a)   hidden to output

A training example is a pair of index lists X, Y of length T. X[t] is the
index of the character fed in at step t (None for the all-zero start input)
and Y[t] the index of the character the network should predict.

The input at each step is a one-hot vector, so ``Wax @ x`` is just one column
of Wax: the helpers index that column instead of multiplying by a one-hot
vector. Only the recurrence runs step by step; the output layer and the weight
gradients are single matrix products over all time steps.
"""
import io
import os
import sys

import numpy as np


def softmax(x):
    """Column-wise softmax of x, shape (n, m) -> (n, m); each column sums to 1."""
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0, keepdims=True)


def smooth(loss, cur_loss):
    """Exponential moving average of the loss, used for the training printout."""
    return loss * 0.999 + cur_loss * 0.001


def print_sample(sample_ix, ix_to_char):
    """Print the name spelled by the list of indices sample_ix, capitalised."""
    txt = ''.join(ix_to_char[ix] for ix in sample_ix)
    print(txt[0].upper() + txt[1:], end='')


def get_initial_loss(vocab_size, seq_length):
    """Loss of a model guessing uniformly over vocab_size characters, seq_length steps."""
    return -np.log(1.0 / vocab_size) * seq_length


def initialize_parameters(n_a, n_x, n_y):
    """Small random weights and zero biases, seeded so that every run starts alike.

    Returns a dict with Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a),
    b (n_a, 1) and by (n_y, 1).
    """
    np.random.seed(1)
    Wax = np.random.randn(n_a, n_x) * 0.01
    Waa = np.random.randn(n_a, n_a) * 0.01
    Wya = np.random.randn(n_y, n_a) * 0.01
    b = np.zeros((n_a, 1))
    by = np.zeros((n_y, 1))
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}


def rnn_step_forward(parameters, a_prev, x_ix):
    """One step of the recurrence: a_next = tanh(Wax x + Waa a_prev + b).

    a_prev: (n_a, 1) previous hidden state; x_ix: index of the one-hot input x,
    or None for the all-zero input. Returns a_next, shape (n_a, 1).
    """
    pre = parameters["Waa"] @ a_prev + parameters["b"]
    if x_ix is not None:
        pre += parameters["Wax"][:, [x_ix]]
    return np.tanh(pre)


def rnn_step_backward(da, a, parameters):
    """One step of back-propagation through the recurrence.

    da: (n_a, 1) gradient of the loss w.r.t. the hidden state a (n_a, 1) at this
    step. Returns (daraw, da_prev): the gradient w.r.t. the pre-activation at
    this step and the part of the gradient that flows to the previous state,
    both (n_a, 1).
    """
    daraw = (1 - a * a) * da
    return daraw, parameters["Waa"].T @ daraw


def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    """Run the RNN over one example and sum the cross-entropy loss.

    X, Y: lists of T indices (X[t] may be None); a0: (n_a, 1) initial state.
    This computes what T calls of rnn_step_forward would, but only the
    recurrence runs step by step: the input columns and the output layer are
    gathered or multiplied for all T steps at once.

    Returns loss (the SUM over t of -log y_hat[Y[t], t]) and the cache
    (y_hat, a, X): y_hat has shape (vocab_size, T), column t being the
    prediction at step t; a has shape (T + 1, n_a, 1) with a[t] the hidden state
    after step t and a[-1] the initial state a0.
    """
    T = len(X)
    Waa = parameters["Waa"]
    inputs = _input_terms(X, parameters)                     # (T, n_a)
    a = np.empty((T + 1,) + a0.shape)
    h = a[:, :, 0]                                           # (T + 1, n_a) view
    h[-1] = a0[:, 0]
    for t in range(T):
        np.tanh(Waa @ h[t - 1] + inputs[t], out=h[t])
    y_hat = softmax(parameters["Wya"] @ h[:T].T + parameters["by"])
    loss = -np.sum(np.log(y_hat[Y, np.arange(T)]))
    return float(loss), (y_hat, a, list(X))


def _input_terms(X, parameters):
    """Rows Wax[:, X[t]] + b (just b where X[t] is None), shape (T, n_a)."""
    Wax, b = parameters["Wax"], parameters["b"][:, 0]
    terms = np.empty((len(X), b.shape[0]))
    terms[:] = b
    fed = [t for t, ix in enumerate(X) if ix is not None]
    terms[fed] += Wax[:, [X[t] for t in fed]].T
    return terms


def rnn_backward(X, Y, parameters, cache):
    """Back-propagation through time for the example rnn_forward saw.

    Returns (gradients, a): gradients holds dWax, dWaa, dWya, db, dby with the
    shapes of the parameters and da0 (n_a, 1), the gradient w.r.t. the initial
    state; a is the (T + 1, n_a, 1) array of hidden states from the cache.
    """
    y_hat, a, x = cache
    T = len(X)
    h = a[:, :, 0]                                           # (T + 1, n_a)
    dy = y_hat.copy()                                        # (n_y, T)
    dy[Y, np.arange(T)] -= 1
    WaaT = parameters["Waa"].T
    da_out = dy.T @ parameters["Wya"]                        # (T, n_a): row t is Wya.T dy_t
    slope = 1 - h[:T] * h[:T]                                # tanh' at every step
    daraw = np.empty((T, h.shape[1]))
    da_next = np.zeros(h.shape[1])
    for t in range(T - 1, -1, -1):
        np.multiply(slope[t], da_out[t] + da_next, out=daraw[t])
        da_next = WaaT @ daraw[t]
    fed = [t for t in range(T) if x[t] is not None]
    one_hot = np.zeros((len(fed), parameters["Wax"].shape[1]))
    one_hot[np.arange(len(fed)), [x[t] for t in fed]] = 1
    previous = h[np.arange(-1, T - 1)]                       # a[t - 1] for each t (a[-1] = a0)
    gradients = {
        "dWax": daraw[fed].T @ one_hot,
        "dWaa": daraw.T @ previous,
        "dWya": dy @ h[:T],
        "db": daraw.sum(axis=0)[:, None],
        "dby": dy.sum(axis=1, keepdims=True),
        "da0": da_next[:, None],
    }
    return gradients, a


def update_parameters(parameters, gradients, lr):
    """Gradient-descent step, in place: W -= lr * dW for every parameter."""
    for name in ("Wax", "Waa", "Wya", "b", "by"):
        parameters[name] -= lr * gradients["d" + name]
    return parameters


def training_steps(num_iterations):
    """range(num_iterations), shown as one ProgressBar; a plain range while nbgrader grades."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return range(num_iterations)
    return _steps_with_bar(num_iterations)


def _steps_with_bar(num_iterations):
    with ProgressBar(num_iterations, "training", "step") as bar:
        for j in range(num_iterations):
            yield j
            bar.update()


def plot_loss(losses):
    """Plot the smoothed loss, one value per training step (skipped while nbgrader grades).

    losses: a list of floats, or None for a model() that kept none (a note, no plot)."""
    if losses is None:
        print("Nothing to plot: this model() keeps no losses (the notebook's own model() keeps "
              "them in model.losses).")
        return
    if os.environ.get("NBGRADER_EXECUTION"):
        print(f"(the plot of {len(losses)} losses is skipped while grading)")
        return
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(losses)
    ax.set_xlabel("training step")
    ax.set_ylabel("smoothed loss")
    ax.set_title("Training loss")
    fig.tight_layout()
    plt.show()


# ---------------------------------------------------------------- the progress bar of a training run

def kernel_allows_input():
    """Inside a Jupyter kernel: whether the cell now running can ask its frontend for input().

    Every execute request of the Jupyter protocol says so in its allow_stdin field, which the
    kernel keeps with the request it is running. JupyterLab and the classic notebook send true
    (they show an input box: a person is there); nbconvert, nbclient, nbval and nbgrader send
    false (nobody is there to type). Returns None outside a Jupyter kernel.
    """
    ipython = sys.modules.get("IPython")
    kernel = getattr(ipython.get_ipython(), "kernel", None) if ipython is not None else None
    if kernel is None:
        return None
    get_parent = getattr(kernel, "get_parent", None)       # ipykernel 6 and later
    request = get_parent("shell") if get_parent is not None else {}
    return bool((request or {}).get("content", {}).get("allow_stdin", False))


def _prints_reach_the_notebook():
    """True when sys.stdout is the kernel's own output stream (not redirected by the caller)."""
    iostream = sys.modules.get("ipykernel.iostream")
    return iostream is not None and isinstance(sys.stdout, iostream.OutStream)


def _widgets_available():
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


class ProgressBar:
    """One progress bar for a training run of `total` units (steps, windows); a context manager.

    It is drawn for whoever runs the code:
    - a cell run from JupyterLab or the classic notebook (kernel_allows_input() is true): an
      ipywidgets bar that updates in place; what the run prints appears below it;
    - a terminal (stderr is one): a text bar on stderr, each line the run prints written above it;
    - anywhere else (nbconvert, nbclient, nbval, a script writing to a file or a pipe): nothing
      while it runs and one line on stdout when it ends, without timings, so a re-run prints
      the same line;
    - nothing at all while nbgrader runs the notebook (NBGRADER_EXECUTION set) or with show=False.
    update(n, **postfix) counts n more units; postfix values (e.g. loss="1.234") follow the count.
    """

    def __init__(self, total, desc="training", unit="step", show=True):
        self.total, self.desc, self.unit = int(total), desc, unit
        self.n = 0
        self.postfix = {}
        self._bar = self._stdout = None
        self.kind = self._kind() if show and not os.environ.get("NBGRADER_EXECUTION") else None
        if self.kind == "widget":
            from tqdm.notebook import tqdm as widget_bar
            self._bar = widget_bar(total=self.total, desc=desc, unit=unit, mininterval=0.5)
        elif self.kind == "terminal":
            from tqdm import tqdm
            self._bar = tqdm(total=self.total, desc=desc, unit=unit, mininterval=0.5,
                             file=sys.stderr, dynamic_ncols=True)
            self._stdout = sys.stdout
            sys.stdout = _LinesAboveBar(self._stdout, self._bar)

    @staticmethod
    def _kind():
        if kernel_allows_input() and _prints_reach_the_notebook() and _widgets_available():
            return "widget"
        stderr = sys.stderr
        if stderr is not None and hasattr(stderr, "isatty") and stderr.isatty():
            return "terminal"
        return "line"

    def update(self, n=1, **postfix):
        self.n += n
        if postfix:
            self.postfix = postfix
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(n)

    def close(self):
        if self._stdout is not None:
            if isinstance(sys.stdout, _LinesAboveBar):
                sys.stdout.finish()
                sys.stdout = self._stdout
            self._stdout = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.kind == "line":
            self.kind = None
            print(self.final_line())

    def final_line(self):
        """The bar as a line of text: 'training: 100%|##########| 35000/35000 steps, loss=1.2'."""
        from tqdm import tqdm
        postfix = ", ".join(f"{key}={value}" for key, value in self.postfix.items())
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        for ascii_only in (False, True):        # '#' for a stdout that cannot write the blocks
            line = tqdm.format_meter(self.n, self.total, 0, prefix=self.desc, unit=self.unit,
                                     postfix=postfix or None, ascii=ascii_only,
                                     bar_format="{l_bar}{bar:10}| {n_fmt}/{total_fmt} {unit}s{postfix}")
            try:
                line.encode(encoding)
                return line
            except (UnicodeEncodeError, LookupError):
                continue
        return line

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _LinesAboveBar(io.TextIOBase):
    """sys.stdout while a terminal bar is drawn: each complete line is written above the bar."""

    def __init__(self, stream, bar):
        super().__init__()
        self.stream, self.bar, self.pending = stream, bar, ""

    def writable(self):
        return True

    def isatty(self):
        return self.stream.isatty()

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", None)

    def write(self, text):
        self.pending += text
        if "\n" in self.pending:
            lines, _, self.pending = self.pending.rpartition("\n")
            self.bar.clear()
            self.stream.write(lines + "\n")
            self.stream.flush()
            self.bar.refresh()
        return len(text)

    def flush(self):
        self.stream.flush()

    def finish(self):
        """Write what is left of an unfinished line."""
        if self.pending:
            self.stream.write(self.pending)
            self.pending = ""
        self.stream.flush()
