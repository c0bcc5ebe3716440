"""``python -m utils release``: regenerate release/ (the student version) from source/."""
import shutil
import tempfile
from pathlib import Path

from . import ASSIGNMENT, RELEASE, ROOT, SOURCE
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
    from .build import TWINS, edited_cells, read_twin
    for path in sorted((SOURCE / args.assignment).glob("*.ipynb")):
        if (TWINS / f"{path.stem}.py").is_file():
            changed = edited_cells(path, read_twin(path.stem))
            if changed:
                print(f"note: {path.name} has edits its twin does not have ({', '.join(changed[:5])}); "
                      f"keep them with `python -m utils twin {path.stem}`")
    print(f"released {generate_release(args.assignment)}")
