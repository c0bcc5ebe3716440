"""``python -m utils build``: turn the twins in utils/notebooks/ into executed source notebooks."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from . import ASSIGNMENT, SOURCE, KitError
from .notebook_twin import TwinError, parse_twin

TWINS = Path(__file__).resolve().parent / "notebooks"


def build_notebook(name, assignment=ASSIGNMENT, timeout=600):
    """Write source/<assignment>/<name>.ipynb from its twin, executed, outputs stored."""
    twin = TWINS / f"{name}.py"
    if not twin.is_file():
        raise KitError(f"no notebook twin {twin}")
    try:
        notebook = parse_twin(twin.read_text())
    except TwinError as error:
        raise KitError(f"{twin}: {error}") from None
    folder = SOURCE / assignment
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    except CellExecutionError as error:
        # The stored notebook is left as it was; only the cause is reported.
        cause = str(error).strip().splitlines()[-1]
        raise KitError(f"{twin.name} failed to run, source notebook unchanged: {cause}") from None
    target = folder / f"{name}.ipynb"
    nbformat.write(notebook, target)
    return target


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "build", help="execute the notebook twins into source/",
        description="Regenerate source notebooks from utils/notebooks/*.py and execute them.\n"
                    "Example: python -m utils build dinosaur_island")
    parser.add_argument("names", nargs="*", help="twin names (default: all)")
    parser.set_defaults(run=run)


def run(args):
    names = args.names or sorted(p.stem for p in TWINS.glob("*.py"))
    for name in names:
        print(f"built {build_notebook(name)}")
