"""Unit tests of the helpers students build on: shapes, seeded values, gradients, the progress bar."""
import re
import subprocess
import sys

import numpy as np
import pytest

import rnn_utils as ru
from conftest import ASSIGNMENT_DIR
from frontends import Kernel, of_type, run_in_terminal, stream, widget_states


def random_parameters(n_a=7, vocab=5, scale=0.5, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "Wax": rng.normal(0, scale, (n_a, vocab)),
        "Waa": rng.normal(0, scale, (n_a, n_a)),
        "Wya": rng.normal(0, scale, (vocab, n_a)),
        "b": rng.normal(0, scale, (n_a, 1)),
        "by": rng.normal(0, scale, (vocab, 1)),
    }


def one_hot_forward(X, Y, a0, p, vocab):
    """The textbook loop: one-hot inputs, one step at a time."""
    a, loss = a0, 0.0
    states = []
    for x_ix, y_ix in zip(X, Y):
        x = np.zeros((vocab, 1))
        if x_ix is not None:
            x[x_ix] = 1
        a = np.tanh(p["Wax"] @ x + p["Waa"] @ a + p["b"])
        y = ru.softmax(p["Wya"] @ a + p["by"])
        loss -= np.log(y[y_ix, 0])
        states.append(a)
    return loss, states


def test_softmax_columns_sum_to_one_and_survive_large_scores():
    z = np.array([[1000.0, -3.0], [1001.0, 2.0], [999.0, 0.5]])
    s = ru.softmax(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s.sum(axis=0), [1.0, 1.0])
    assert s[1, 0] > s[0, 0] > s[2, 0]


def test_initial_loss_and_smoothing():
    assert ru.get_initial_loss(27, 7) == pytest.approx(7 * np.log(27))
    assert ru.smooth(10.0, 20.0) == pytest.approx(10.01)


def test_initialize_parameters_is_seeded_and_shaped():
    p = ru.initialize_parameters(50, 27, 27)
    assert p["Wax"].shape == (50, 27) and p["Waa"].shape == (50, 50)
    assert p["Wya"].shape == (27, 50) and p["b"].shape == (50, 1) and p["by"].shape == (27, 1)
    np.random.seed(1)
    np.testing.assert_array_equal(p["Wax"], np.random.randn(50, 27) * 0.01)
    np.testing.assert_array_equal(p["Waa"], np.random.randn(50, 50) * 0.01)
    assert not p["b"].any() and not p["by"].any()


def test_print_sample_capitalises(capsys):
    ix_to_char = dict(enumerate("\nabc"))
    ru.print_sample([2, 1, 3, 0], ix_to_char)
    assert capsys.readouterr().out == "Bac\n"


def test_forward_matches_one_hot_loop_and_step_function():
    p = random_parameters()
    X = [None, 3, 1, 4, 1, 0]
    Y = X[1:] + [2]
    a0 = np.random.default_rng(1).normal(size=(7, 1))
    loss, (y_hat, a, x) = ru.rnn_forward(X, Y, a0, p, vocab_size=5)
    expected_loss, states = one_hot_forward(X, Y, a0, p, 5)
    assert loss == pytest.approx(expected_loss, abs=1e-12)
    assert y_hat.shape == (5, len(X)) and a.shape == (len(X) + 1, 7, 1)
    np.testing.assert_array_equal(a[-1], a0)
    previous = a0
    for t, state in enumerate(states):
        np.testing.assert_allclose(a[t], state, atol=1e-14)
        np.testing.assert_allclose(ru.rnn_step_forward(p, previous, X[t]), state, atol=1e-14)
        previous = state


def test_rnn_backward_matches_finite_differences():
    p = random_parameters()
    X = [None, 2, 4, 4, 1]
    Y = X[1:] + [0]
    a0 = np.random.default_rng(2).normal(size=(7, 1))
    _, cache = ru.rnn_forward(X, Y, a0, p, vocab_size=5)
    gradients, _ = ru.rnn_backward(X, Y, p, cache)
    eps = 1e-6
    for name in ("Wax", "Waa", "Wya", "b", "by"):
        numeric = np.zeros_like(p[name])
        for index in np.ndindex(p[name].shape):
            old = p[name][index]
            p[name][index] = old + eps
            plus, _ = ru.rnn_forward(X, Y, a0, p, vocab_size=5)
            p[name][index] = old - eps
            minus, _ = ru.rnn_forward(X, Y, a0, p, vocab_size=5)
            p[name][index] = old
            numeric[index] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(gradients["d" + name], numeric, rtol=1e-5, atol=1e-8,
                                   err_msg=f"d{name} disagrees with finite differences")
    numeric_a0 = np.zeros_like(a0)
    for i in range(a0.shape[0]):
        bumped = a0.copy(); bumped[i] += eps
        plus, _ = ru.rnn_forward(X, Y, bumped, p, vocab_size=5)
        bumped[i] -= 2 * eps
        minus, _ = ru.rnn_forward(X, Y, bumped, p, vocab_size=5)
        numeric_a0[i] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(gradients["da0"], numeric_a0, rtol=1e-5, atol=1e-8)


def test_step_backward_agrees_with_sequence_backward():
    p = random_parameters()
    X, Y = [None, 1], [1, 0]
    a0 = np.zeros((7, 1))
    _, cache = ru.rnn_forward(X, Y, a0, p, vocab_size=5)
    gradients, a = ru.rnn_backward(X, Y, p, cache)
    y_hat = cache[0]
    dy = y_hat.copy(); dy[Y, [0, 1]] -= 1
    daraw1, da_prev = ru.rnn_step_backward(p["Wya"].T @ dy[:, [1]], a[1], p)
    daraw0, da0 = ru.rnn_step_backward(p["Wya"].T @ dy[:, [0]] + da_prev, a[0], p)
    np.testing.assert_allclose(gradients["db"], daraw0 + daraw1, atol=1e-14)
    np.testing.assert_allclose(gradients["da0"], da0, atol=1e-14)


def test_update_parameters_in_place():
    p = random_parameters()
    before = {k: v.copy() for k, v in p.items()}
    grads = {"d" + k: np.ones_like(v) for k, v in p.items()}
    arrays = {k: id(v) for k, v in p.items()}
    ru.update_parameters(p, grads, 0.5)
    for k in p:
        assert id(p[k]) == arrays[k], f"{k} was replaced, not updated in place"
        np.testing.assert_allclose(p[k], before[k] - 0.5)


def test_seeded_optimize_step_reproduces_the_assignment_values():
    """One optimisation step (forward, backward, clip at 5, update) on the seed's setup."""
    np.random.seed(1)
    vocab, n_a = 27, 100
    a_prev = np.random.randn(n_a, 1)
    p = {"Wax": np.random.randn(n_a, vocab), "Waa": np.random.randn(n_a, n_a),
         "Wya": np.random.randn(vocab, n_a), "b": np.random.randn(n_a, 1),
         "by": np.random.randn(vocab, 1)}
    X, Y = [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26]
    loss, cache = ru.rnn_forward(X, Y, a_prev, p)
    g, a = ru.rnn_backward(X, Y, p, cache)
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        np.clip(g[key], -5, 5, out=g[key])
    ru.update_parameters(p, g, 0.01)
    assert loss == pytest.approx(126.503975722, abs=1e-8)
    assert g["dWaa"][1][2] == pytest.approx(0.194709315347, abs=1e-11)
    assert int(np.argmax(g["dWax"])) == 93
    assert g["dWya"][1][2] == pytest.approx(-0.007773876032, abs=1e-11)
    assert g["db"][4][0] == pytest.approx(-0.06809825, abs=1e-8)
    assert g["dby"][1][0] == pytest.approx(0.01538192, abs=1e-8)
    assert a[len(X) - 1][4][0] == pytest.approx(-1.0, abs=1e-9)


# ------------------------------------------------------------ the training progress bar, frontend by frontend

TRAINING_LOOP = """
import rnn_utils as ru
for j in ru.training_steps({steps}):
    if j % 1000 == 0:
        print("Iteration:", j)
        ru.print_sample([1, 2, 0], {{0: "\\n", 1: "a", 2: "b"}})
"""


def samples(steps):
    return "".join(f"Iteration: {j}\nAb\n" for j in range(0, steps, 1000))


@pytest.fixture(scope="module")
def kernel():
    kernel = Kernel()
    yield kernel
    kernel.close()


def test_in_jupyterlab_one_widget_bar_with_the_samples_below(kernel):
    """A cell run as JupyterLab runs it: one widget that ends full and green, prints as they were."""
    messages, _ = kernel.run(TRAINING_LOOP.format(steps=3000), allow_stdin=True)
    shown = of_type(messages, "display_data")
    assert len(shown) == 1 and "application/vnd.jupyter.widget-view+json" in shown[0]["content"]["data"]
    assert stream(messages, "stdout") == samples(3000)
    assert stream(messages, "stderr") == ""
    states = widget_states(messages)
    assert states["FloatProgressModel"]["value"] == states["FloatProgressModel"]["max"] == 3000
    assert states["FloatProgressModel"]["bar_style"] == "success"
    assert any("3000/3000" in state.get("value", "") for name, state in states.items() if name == "HTMLModel")


def test_in_jupyterlab_a_caller_that_silences_stdout_gets_no_widget(kernel):
    """The hidden checks call model() with stdout redirected: no bar is drawn in their cell."""
    code = ("import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()) as silenced:\n"
            + "\n".join("    " + line for line in TRAINING_LOOP.format(steps=2000).strip().splitlines())
            + "\nprint(silenced.getvalue().splitlines()[-1])")
    messages, _ = kernel.run(code, allow_stdin=True)
    assert not of_type(messages, "display_data", "comm_open")
    assert stream(messages, "stdout") == "training: 100%|██████████| 2000/2000 steps\n"


def test_unattended_kernel_prints_one_stable_line_at_the_end(kernel):
    """A cell run as nbconvert, nbval and nbgrader's validate... run it: no widget, no stderr."""
    messages, _ = kernel.run(TRAINING_LOOP.format(steps=3000), allow_stdin=False)
    assert not of_type(messages, "display_data", "comm_open")
    assert stream(messages, "stdout") == samples(3000) + "training: 100%|██████████| 3000/3000 steps\n"
    assert stream(messages, "stderr") == ""


def test_a_script_writing_to_a_pipe_prints_one_line_at_the_end():
    done = subprocess.run([sys.executable, "-c", TRAINING_LOOP.format(steps=2500)], cwd=ASSIGNMENT_DIR,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == samples(2500) + "training: 100%|██████████| 2500/2500 steps\n"


def test_at_a_terminal_the_samples_print_above_one_text_bar():
    code = "import time\n" + TRAINING_LOOP.format(steps=3000).replace(
        'print("Iteration:", j)', 'time.sleep(0.6); print("Iteration:", j)')
    shown, exit_code = run_in_terminal(code)
    assert exit_code == 0, shown
    # What stays on the screen: each line as the last carriage return left it.
    screen = [line.rsplit("\r", 1)[-1] for line in shown.split("\r\n")]
    assert screen[:6] == samples(3000).splitlines()
    assert re.fullmatch(r"training: 100%\|█+\| 3000/3000 \[[\d:]+<00:00, +[\d.]+step/s\]", screen[6].rstrip())
    assert screen[7:] == [""]
    # The bar was on the screen before each line was printed, cleared for it, and drawn again below.
    assert all(line.startswith("\rtraining:") for line in shown.split("\r\n")[:7])


def test_nothing_is_drawn_while_nbgrader_runs(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert ru.training_steps(5) == range(5)
    with ru.ProgressBar(5) as bar:
        bar.update(5)
    assert capsys.readouterr() == ("", "")


def test_the_final_line_counts_what_was_done_and_falls_back_to_ascii(monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    with ru.ProgressBar(200, "training", "window") as bar:
        bar.update(50, epoch="1/2", loss="2.000")
        bar.update(50, epoch="1/2", loss="1.500")
    assert capsys.readouterr().out == "training:  50%|█████     | 100/200 windows, epoch=1/2, loss=1.500\n"
    done = subprocess.run([sys.executable, "-c", TRAINING_LOOP.format(steps=10)], cwd=ASSIGNMENT_DIR,
                          capture_output=True, text=True, env={"PYTHONIOENCODING": "ascii"}, timeout=120)
    assert done.stdout.splitlines()[-1] == "training: 100%|##########| 10/10 steps", done.stderr
