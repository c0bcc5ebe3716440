"""Speed of the numpy Shakespeare LSTM: training windows per second and generation time.

Training: shakespeare_utils.fit on real windows (batch 128, 40 characters,
two LSTM layers of 128 units, dropout 0.5, Adam), beside the same network in
PyTorch when PyTorch is importable (it is not a dependency of the kit; run
this script with a Python that has both numpy and torch to see both). PyTorch
runs twice: with the kit's objective (a prediction at every step) and with
the original's (only the character after the window).

Generation: 400 characters one step per character with carried state (the
kit's generate_output) beside re-running the whole 40-character window for
every new character (the original's way), in numpy and, when present, PyTorch.

    python benchmarks/shakespeare.py [--batches 20] [--rounds 3]
"""
import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "source" / "dinosaur_island"))
import shakespeare_utils as su  # noqa: E402

BATCH = 128


def numpy_trainer(X, Y):
    """A function that trains on the given batch numbers and returns the seconds it took."""
    model = su.init_model(seed=0)
    optimizer = su.Adam(model.params, lr=2e-3)

    def run(batches):
        start = time.perf_counter()
        for i in batches:
            su.fit(model, X[i * BATCH:(i + 1) * BATCH], Y[i * BATCH:(i + 1) * BATCH],
                   optimizer=optimizer, progress=False)
        return time.perf_counter() - start
    return run, model


def torch_trainer(torch, X, Y, every_step):
    nn = torch.nn
    V, H = len(su.VOCAB), su.N_A

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = nn.LSTM(V, H, batch_first=True)
            self.lstm2 = nn.LSTM(H, H, batch_first=True)
            self.drop = nn.Dropout(su.DROPOUT)
            self.out = nn.Linear(H, V)

        def forward(self, x):
            h, _ = self.lstm1(x)
            h, _ = self.lstm2(self.drop(h))
            h = self.drop(h if every_step else h[:, -1])
            return self.out(h)

    torch.manual_seed(0)
    net = Net()
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    eye = torch.eye(V)
    Xt, Yt = torch.from_numpy(X.astype(np.int64)), torch.from_numpy(Y.astype(np.int64))

    def run(batches):
        start = time.perf_counter()
        for i in batches:
            x, y = Xt[i * BATCH:(i + 1) * BATCH], Yt[i * BATCH:(i + 1) * BATCH]
            logits = net(eye[x])
            loss = loss_fn(logits.reshape(-1, V), y.reshape(-1)) if every_step else loss_fn(logits, y[:, -1])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            optimizer.step()
        return time.perf_counter() - start
    return run, net


def numpy_window_per_character(model, prompt_ids, n_chars, rng):
    """The original's way: every new character re-runs the network over the last 40 characters."""
    window = list(prompt_ids[-su.TX:])
    for _ in range(n_chars):
        logits = su.predict_logits(model.params, np.array(window[-su.TX:])[None, :])[-1, 0]
        window.append(su.sample(su.softmax(logits), 1.0, rng))
    return window


def torch_window_per_character(torch, net, prompt_ids, n_chars):
    V = len(su.VOCAB)
    eye = torch.eye(V)
    window = list(prompt_ids[-su.TX:])
    net.eval()
    with torch.no_grad():
        for _ in range(n_chars):
            h, _ = net.lstm1(eye[torch.tensor(window[-su.TX:])][None])
            h, _ = net.lstm2(h)
            probs = torch.softmax(net.out(h[0, -1]), dim=0).numpy()
            window.append(int(np.random.default_rng().choice(V, p=probs / probs.sum())))
    return window


def best_of(repeats, run):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20, help="training batches of 128 windows per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    text = su.load_corpus(plays=["hamlet"])
    X, Y = su.build_windows(su.encode(text))
    print(f"training, batch {BATCH}, windows of {su.TX} characters: best of {args.rounds} interleaved "
          f"rounds of {args.batches} batches (the machine may be shared)")
    trainers = [("numpy shakespeare_utils.fit", numpy_trainer(X, Y)[0])]
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not importable here: no side-by-side training figure")
    net = None
    if torch is not None:
        for every_step, label in ((True, "every step, as the kit"), (False, "last step only, as the original")):
            run, trained = torch_trainer(torch, X, Y, every_step)
            trainers.append((f"PyTorch {torch.__version__} ({label})", run))
            net = net or trained
    best = {label: float("inf") for label, _ in trainers}
    for label, run in trainers:
        run([0])                                                      # warm-up
    for round_ in range(args.rounds):
        batches = range(1 + round_ * args.batches, 1 + (round_ + 1) * args.batches)
        for label, run in trainers:
            best[label] = min(best[label], run(batches))
    speeds = {label: args.batches * BATCH / seconds for label, seconds in best.items()}
    numpy_speed = speeds[trainers[0][0]]
    for label, speed in speeds.items():
        print(f"  {label:<52}{speed:>7.0f} windows/s   numpy / this = {numpy_speed / speed:.2f}")

    model = su.load()
    prompt = "shall i compare thee to a summer's day?\n"
    prompt_ids = list(su.encode(prompt))
    quiet = contextlib.redirect_stdout(io.StringIO())
    with quiet:
        carried = best_of(10, lambda: su.generate_output(prompt, 400, 1.0, seed=0, model=model))
    windowed = best_of(2, lambda: numpy_window_per_character(model, prompt_ids, 400, np.random.default_rng(0)))
    print("generating 400 characters")
    print(f"  {'numpy, one step per character (kit)':<52}{carried * 1e3:>7.1f} ms")
    print(f"  {'numpy, 40-character window per character':<52}{windowed * 1e3:>7.1f} ms"
          f"   kit is {windowed / carried:.0f}x faster")
    if net is not None:
        torch_windowed = best_of(2, lambda: torch_window_per_character(torch, net, prompt_ids, 400))
        print(f"  {'PyTorch, 40-character window per character':<52}{torch_windowed * 1e3:>7.1f} ms"
              f"   kit is {torch_windowed / carried:.0f}x faster")


if __name__ == "__main__":
    main()
