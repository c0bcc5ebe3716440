"""Command line of the kit: ``python -m utils COMMAND ...`` from the repository root."""
import argparse
import importlib
import sys

from . import KitError

# Each command lives in its own module with add_parser(subparsers) and run(args).
COMMANDS = ("build", "twin", "release", "grade", "demo", "validate", "train-shakespeare")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m utils",
        description="Build, release and grade the Dinosaur Island course.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"utils.{name.replace('-', '_')}").add_parser(subparsers)
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
