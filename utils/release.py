"""``python -m utils release``: regenerate release/ (the student version) from source/."""
import shutil
import tempfile
from pathlib import Path

from . import ASSIGNMENT, RELEASE, ROOT
from .engine.assignment import release_in_scratch


def generate_release(assignment=ASSIGNMENT, destination=RELEASE):
    """Release the assignment in a scratch course; copy the result to destination."""
    with tempfile.TemporaryDirectory() as scratch:
        released = release_in_scratch(ROOT, assignment, scratch)
        target = Path(destination) / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(released, target)
    return target


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "release", help="regenerate release/ from source/",
        description="Regenerate the student version in release/ with nbgrader.\n"
                    "Example: python -m utils release dinosaur_island")
    parser.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    parser.set_defaults(run=run)


def run(args):
    print(f"released {generate_release(args.assignment)}")
