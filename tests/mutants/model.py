# %% [markdown]
# Wrong solutions of model, one to a notebook (see test_mutations.py). Each starts with a
# markdown cell "slug: what is wrong"; the solution cells after it replace the instructor's.

# %% [markdown]
# model_no_shuffle: trains on the names in the order given

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = [name.lower().strip() for name in data]
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        X = [None] + [char_to_ix[ch] for ch in names[j % len(names)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters

# %% [markdown]
# model_no_none_start: X has no None in front, so the first letter is never predicted

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(names)
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        X = [char_to_ix[ch] for ch in names[j % len(names)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters

# %% [markdown]
# model_last_target_repeats_letter: the last target is the name's last letter, not the newline

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(names)
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        X = [None] + [char_to_ix[ch] for ch in names[j % len(names)]]
        Y = X[1:] + [X[-1]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters

# %% [markdown]
# model_resets_state: starts every name from the zero state instead of carrying a_prev on

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(names)
    for j in training_steps(num_iterations):
        a_prev = np.zeros((n_a, 1))
        X = [None] + [char_to_ix[ch] for ch in names[j % len(names)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, _ = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters

# %% [markdown]
# model_learning_rate_0_05: trains with learning rate 0.05 instead of 0.01

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(names)
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        X = [None] + [char_to_ix[ch] for ch in names[j % len(names)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.05)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters

# %% [markdown]
# model_skips_last_name: cycles through all names but the last (j % (len(names) - 1))

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = [name.lower().strip() for name in data]
    np.random.seed(0)
    np.random.shuffle(names)
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        X = [None] + [char_to_ix[ch] for ch in names[j % (len(names) - 1)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
        if j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print_sample(sample(parameters, char_to_ix, seed), ix_to_char)
            print()
    model.losses = losses
    return parameters

# %% [markdown]
# model_first_ten_names: cycles through the first ten names only (j % min(10, len(names)))

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = list(data)
    np.random.seed(0)
    np.random.shuffle(names)
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        X = [None] + [char_to_ix[ch] for ch in names[j % min(10, len(names))]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
    model.losses = losses
    return parameters

# %% [markdown]
# model_reshuffles_each_pass: shuffles the names again at the start of every pass through them,
# so the second pass goes in another order

# %% [solution] id=model
def model(data, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27):
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    losses = []
    names = list(data)
    np.random.seed(0)
    a_prev = np.zeros((n_a, 1))
    for j in training_steps(num_iterations):
        if j % len(names) == 0:
            np.random.shuffle(names)
        X = [None] + [char_to_ix[ch] for ch in names[j % len(names)]]
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
    model.losses = losses
    return parameters
