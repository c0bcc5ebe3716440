"""``python -m utils twin NAME``: write a notebook's twin from its source notebook.

For edits made to source/<assignment>/NAME.ipynb in Jupyter (with nbgrader's Create Assignment
toolbar, say): the twin in utils/notebooks/ then holds them, and ``python -m utils build``
rebuilds the notebook from it without losing them.
"""
import nbformat

from . import ASSIGNMENT, SOURCE, KitError
from .build import twin_path
from .notebook_twin import TwinError, to_twin


def write_twin(name, assignment=ASSIGNMENT):
    path = SOURCE / assignment / f"{name}.ipynb"
    if not path.is_file():
        raise KitError(f"no source notebook {path}")
    try:
        text = to_twin(nbformat.read(path, as_version=4))
    except TwinError as error:
        raise KitError(f"{path.name}: {error}") from None
    twin_path(name).write_text(text)
    return twin_path(name)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "twin", help="write a notebook's twin from its source notebook (keeps edits made in Jupyter)",
        description="Write utils/notebooks/NAME.py from source/<assignment>/NAME.ipynb.\n"
                    "Example: python -m utils twin dinosaur_island")
    parser.add_argument("name")
    parser.set_defaults(run=run)


def run(args):
    print(f"wrote {write_twin(args.name)}")
