# %% [markdown]
# Correct solutions written differently from the instructor's, one to a notebook (see
# test_mutations.py): each must get full marks. Each starts with a markdown cell
# "slug: how it differs"; the solution cells after it replace the instructor's.

# %% [markdown]
# correct_clip_new_dictionary: returns a new dictionary of new arrays, the input untouched

# %% [solution] id=clip
def clip(gradients, maxValue):
    keys = ("dWax", "dWaa", "dWya", "db", "dby")
    return {**gradients, **{key: np.maximum(np.minimum(gradients[key], maxValue), -maxValue) for key in keys}}

# %% [markdown]
# correct_clip_numpy_warning: clips with a ratio that divides by zero on zero entries (numpy
# prints a RuntimeWarning, the result is right)

# %% [solution] id=clip
def clip(gradients, maxValue):
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        g = gradients[key]
        gradients[key] = g * np.minimum(1.0, maxValue / np.abs(g))
    return gradients

# %% [markdown]
# correct_sample_columns_warns_at_cap: indexes the column Wax[:, [ix]] instead of multiplying by
# a one-hot vector, draws with np.random.choice(vocab_size, ...), keeps numpy integers, and warns
# (RuntimeWarning) when a name reaches the 50-character cap

# %% [solution] id=sample
import warnings


def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    newline = char_to_ix["\n"]
    a = np.zeros((n_a, 1))
    indices = []
    for counter in range(50):
        pre = Waa @ a + b
        if indices:
            pre = pre + Wax[:, [indices[-1]]]
        a = np.tanh(pre)
        y = softmax(Wya @ a + by)
        np.random.seed(counter + seed + counter)
        indices.append(np.random.choice(vocab_size, p=y.ravel()))
        if indices[-1] == newline:
            return indices
    warnings.warn("no newline after 50 characters: the name is cut", RuntimeWarning)
    return indices + [newline]

# %% [markdown]
# correct_sample_stacked_weights: one product of the stacked weights [Waa Wax] with the stacked
# input [a; x], another order of summation (the seeded list differs from index 43 on)

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    W = np.hstack([Waa, Wax])
    state = np.zeros((n_a + vocab_size, 1))
    indices, counter = [], 0
    while counter < 50 and (not indices or indices[-1] != char_to_ix["\n"]):
        state[:n_a] = np.tanh(W @ state + b)
        z = Wya @ state[:n_a] + by
        y = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        state[n_a:] = 0
        state[n_a + idx] = 1
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices

# %% [markdown]
# correct_optimize_by_hand: clips with np.clip into new arrays and updates each parameter by
# hand, in another order; also writes the last state into the caller's a_prev

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    for name in ("by", "b", "Wya", "Waa", "Wax"):
        gradients["d" + name] = np.clip(gradients["d" + name], -5, 5)
        parameters[name] = parameters[name] + (-learning_rate) * gradients["d" + name]
    a_prev[...] = a[len(X) - 1]
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# correct_model_while_loop: builds the order with np.random.permutation, the examples with list
# comprehensions and runs its own while loop; shuffles nothing in place

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    cleaned = [name.strip().lower() for name in data]
    np.random.seed(0)
    order = np.random.permutation(len(cleaned))
    examples = [[None] + [char_to_ix[ch] for ch in cleaned[i]] for i in order]
    a_prev = np.zeros((n_a, 1))
    steps = iter(training_steps(num_iterations))
    j = next(steps, None)
    while j is not None:
        X = examples[j % len(examples)]
        curr_loss, gradients, a_prev = optimize(X, X[1:] + [char_to_ix["\n"]], a_prev, parameters)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
        j = next(steps, None)
    model.losses = losses
    return parameters

# %% [markdown]
# correct_model_shuffles_input: cleans and shuffles the caller's list in place (it changes its
# input, which the checks must not notice) and does the steps itself, without optimize

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    data[:] = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(data)
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        X = [None] + [char_to_ix[ch] for ch in data[j % len(data)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, cache = rnn_forward(X, Y, a_prev, parameters)
        gradients, a = rnn_backward(X, Y, parameters, cache)
        for key in ("dWax", "dWaa", "dWya", "db", "dby"):
            np.clip(gradients[key], -5, 5, out=gradients[key])
        update_parameters(parameters, gradients, 0.01)
        a_prev = a[len(X) - 1]
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters
