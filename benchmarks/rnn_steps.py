"""Training steps per second: the kit's rnn_utils beside the one-hot, dict-cache style.

Both run the same SGD loop (forward, backward, clip at 5, update) on the names
of dinos.txt, starting from the same parameters; the script also checks that
one step of each gives the same numbers (to 1e-12).

    python benchmarks/rnn_steps.py [--steps 5000]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "source" / "dinosaur_island"))
import rnn_utils as kit  # noqa: E402


def one_hot_forward(X, Y, a0, p, vocab_size=27):
    x, a, y_hat = {}, {-1: np.copy(a0)}, {}
    loss = 0
    for t in range(len(X)):
        x[t] = np.zeros((vocab_size, 1))
        if X[t] is not None:
            x[t][X[t]] = 1
        a[t] = np.tanh(np.dot(p["Wax"], x[t]) + np.dot(p["Waa"], a[t - 1]) + p["b"])
        y_hat[t] = kit.softmax(np.dot(p["Wya"], a[t]) + p["by"])
        loss -= np.log(y_hat[t][Y[t], 0])
    return loss, (y_hat, a, x)


def one_hot_backward(X, Y, p, cache):
    y_hat, a, x = cache
    g = {"d" + k: np.zeros_like(v) for k, v in p.items()}
    da_next = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        g["dWya"] += np.dot(dy, a[t].T)
        g["dby"] += dy
        da = np.dot(p["Wya"].T, dy) + da_next
        daraw = (1 - a[t] * a[t]) * da
        g["db"] += daraw
        g["dWax"] += np.dot(daraw, x[t].T)
        g["dWaa"] += np.dot(daraw, a[t - 1].T)
        da_next = np.dot(p["Waa"].T, daraw)
    return g, a


def sgd_loop(forward, backward, examples, steps, char_to_ix):
    p = kit.initialize_parameters(50, 27, 27)
    a_prev = np.zeros((50, 1))
    start = time.perf_counter()
    for j in range(steps):
        X = [None] + [char_to_ix[c] for c in examples[j % len(examples)]]
        Y = X[1:] + [char_to_ix["\n"]]
        _, cache = forward(X, Y, a_prev, p)
        g, a = backward(X, Y, p, cache)
        for key in ("dWax", "dWaa", "dWya", "db", "dby"):
            np.clip(g[key], -5, 5, out=g[key])
        kit.update_parameters(p, g, 0.01)
        a_prev = a[len(X) - 1]
    return steps / (time.perf_counter() - start), p


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    args = parser.parse_args()
    data = Path(kit.__file__).with_name("dinos.txt").read_text().lower().split()
    char_to_ix = {c: i for i, c in enumerate(sorted(set("".join(data)) | {"\n"}))}
    np.random.seed(0)
    np.random.shuffle(data)

    X = [None] + [char_to_ix[c] for c in data[0]]
    Y = X[1:] + [0]
    p = kit.initialize_parameters(50, 27, 27)
    a0 = np.random.default_rng(0).normal(size=(50, 1))
    l1, c1 = one_hot_forward(X, Y, a0, p)
    g1, _ = one_hot_backward(X, Y, p, c1)
    l2, c2 = kit.rnn_forward(X, Y, a0, p)
    g2, _ = kit.rnn_backward(X, Y, p, c2)
    diff = max([abs(l1 - l2)] + [float(np.max(np.abs(g1[k] - g2[k]))) for k in g1])
    print(f"one step, largest difference between the two styles: {diff:.1e}")
    assert diff < 1e-12

    original, p1 = sgd_loop(one_hot_forward, one_hot_backward, data, args.steps, char_to_ix)
    fast, p2 = sgd_loop(kit.rnn_forward, kit.rnn_backward, data, args.steps, char_to_ix)
    drift = max(float(np.max(np.abs(p1[k] - p2[k]))) for k in p1)
    print(f"{'style':<28}{'steps/s':>10}")
    print(f"{'one-hot, dict caches':<28}{original:>10.0f}")
    print(f"{'kit rnn_utils':<28}{fast:>10.0f}")
    print(f"speed-up: {fast / original:.2f}x   parameter difference after {args.steps} steps: {drift:.1e}")


if __name__ == "__main__":
    main()
