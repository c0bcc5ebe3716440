# %% [markdown]
# Wrong solutions of optimize, one to a notebook (see test_mutations.py). Each starts with a
# markdown cell "slug: what is wrong"; the solution cells after it replace the instructor's.

# %% [markdown]
# optimize_no_clip: updates with the raw gradients

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# optimize_clips_after_update: clips only after the parameters were updated

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    parameters = update_parameters(parameters, gradients, learning_rate)
    gradients = clip(gradients, 5)
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# optimize_clips_at_10: clips to [-10, 10] instead of [-5, 5]

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 10)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# optimize_fixed_learning_rate: always steps with 0.01, whatever learning_rate is

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, 0.01)
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# optimize_ignores_a_prev: every example starts from the zero state

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, np.zeros_like(a_prev), parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# optimize_new_dictionary: puts the new parameters in a new dictionary, so the caller's
# parameters never change

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = {name: parameters[name] - learning_rate * gradients["d" + name]
                  for name in ("Wax", "Waa", "Wya", "b", "by")}
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# optimize_mean_loss: returns the loss averaged over the time steps instead of summed

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    loss = loss / len(X)
    return loss, gradients, a[len(X) - 1]

# %% [markdown]
# optimize_does_not_compile: a syntax error, so the cell defines no optimize at all (model must
# still be graded on its own)

# %% [solution] id=optimize
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    if loss > 0
        print(loss)
    return loss, gradients, a[len(X) - 1]
