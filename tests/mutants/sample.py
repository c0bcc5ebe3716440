# %% [markdown]
# Wrong solutions of sample, one to a notebook (see test_mutations.py). Each starts with a
# markdown cell "slug: what is wrong"; the solution cells after it replace the instructor's.

# %% [markdown]
# sample_argmax: takes the most likely character instead of drawing one

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = int(np.argmax(y))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices

# %% [markdown]
# sample_ignores_hidden_state: every step starts again from the zero hidden state

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices

# %% [markdown]
# sample_keeps_old_inputs: sets the new character's entry but never clears the previous ones

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x[idx] = 1
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices

# %% [markdown]
# sample_zeroes_bias_in_place: drops the hidden bias by zeroing b in the caller's parameters
# (a check that reused its inputs for the reference would agree with it)

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    b[:] = 0
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
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
        indices.append(char_to_ix["\n"])
    return indices

# %% [markdown]
# sample_missing_output_bias: the output layer leaves out by

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = softmax(np.dot(Wya, a))
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices

# %% [markdown]
# sample_seed_not_advanced: seeds with counter + seed but never adds 1 to seed

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(range(vocab_size), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices

# %% [markdown]
# sample_hard_coded: returns the list printed under the exercise, whatever the weights

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    return [12, 17, 24, 14, 13, 9, 10, 22, 24, 6, 13, 11, 12, 6, 21, 15, 21, 14, 3, 2, 1, 21, 18, 24, 7, 25,
            6, 25, 18, 10, 16, 2, 3, 8, 15, 12, 11, 7, 1, 12, 10, 2, 7, 7, 11, 5, 6, 12, 25, 0, 0]

# %% [markdown]
# sample_no_newline_at_cap: stops at 50 characters without appending the newline

# %% [solution] id=sample
def sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x, a_prev, indices, idx, counter = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1, 0
    while idx != char_to_ix["\n"] and counter != 50:
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
    return indices
