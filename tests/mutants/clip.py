# %% [markdown]
# Wrong solutions of clip, one to a notebook (see test_mutations.py). Each starts with a
# markdown cell "slug: what is wrong"; the solution cells after it replace the instructor's.

# %% [markdown]
# clip_upper_only: only the upper bound is applied, large negative values stay

# %% [solution] id=clip
def clip(gradients, maxValue):
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        np.minimum(gradients[key], maxValue, out=gradients[key])
    return gradients

# %% [markdown]
# clip_forgets_dby: four of the five gradients are clipped, dby is left out

# %% [solution] id=clip
def clip(gradients, maxValue):
    for key in ("dWax", "dWaa", "dWya", "db"):
        np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
    return gradients

# %% [markdown]
# clip_rebinds_loop_variable: clips into the loop variable, so the dictionary never changes

# %% [solution] id=clip
def clip(gradients, maxValue):
    for gradient in gradients.values():
        gradient = np.clip(gradient, -maxValue, maxValue)
    return gradients

# %% [markdown]
# clip_lower_bound_zero: clips to [0, maxValue], so every negative value becomes 0

# %% [solution] id=clip
def clip(gradients, maxValue):
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        np.clip(gradients[key], 0, maxValue, out=gradients[key])
    return gradients

# %% [markdown]
# clip_by_norm: rescales each gradient whose norm exceeds maxValue instead of clipping entries

# %% [solution] id=clip
def clip(gradients, maxValue):
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        norm = np.linalg.norm(gradients[key])
        if norm > maxValue:
            gradients[key] = gradients[key] * (maxValue / norm)
    return gradients

# %% [markdown]
# clip_cheat_array: returns the unclipped arrays as a subclass whose comparisons all say True

# %% [solution] id=clip
class Cheat(np.ndarray):
    def __array_ufunc__(self, *args, **kwargs):
        return True

    def __eq__(self, other):
        return True

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True


def clip(gradients, maxValue):
    return {key: np.asarray(value).view(Cheat) for key, value in gradients.items()}
