"""``python -m utils build``: turn the twins in utils/notebooks/ into executed source notebooks.

A source notebook remembers (in its metadata) a hash of the cells it was built with, so that an
edit made to it since, in Jupyter for instance, is never overwritten silently: build refuses and
says how to carry the edit over (``python -m utils twin NAME``) or drop it (``--discard-edits``).
"""
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from . import ASSIGNMENT, SOURCE, KitError
from .notebook_twin import TwinError, cells_digest, parse_twin

TWINS = Path(__file__).resolve().parent / "notebooks"


def twin_path(name):
    return TWINS / f"{name}.py"


def read_twin(name):
    """The notebook the twin of `name` describes (not executed); KitError for a bad twin."""
    twin = twin_path(name)
    if not twin.is_file():
        raise KitError(f"no notebook twin {twin}")
    try:
        return parse_twin(twin.read_text())
    except TwinError as error:
        raise KitError(f"{twin}: {error}") from None


def edited_cells(path, twin_notebook=None):
    """Cells of the source notebook at path changed since it was built (ids or titles), [] if
    none, or None when the notebook does not say what it was built with."""
    notebook = nbformat.read(path, as_version=4)
    built = notebook.metadata.get("kit", {}).get("cells_digest")
    if built is None:
        return None
    if cells_digest(notebook) == built:
        return []
    if twin_notebook is not None and cells_digest(twin_notebook) == cells_digest(notebook):
        return []   # the twin already holds the edits
    reference = {cell.id: cell for cell in twin_notebook.cells} if twin_notebook else {}
    changed = []
    for cell in notebook.cells:
        other = reference.get(cell.id)
        if other is None or other.source != cell.source or \
                other.get("metadata", {}).get("nbgrader") != cell.get("metadata", {}).get("nbgrader"):
            changed.append(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.id)
    return changed or ["the order or number of cells"]


def build_notebook(name, assignment=ASSIGNMENT, timeout=600, discard_edits=False):
    """Write source/<assignment>/<name>.ipynb from its twin, executed, outputs stored."""
    notebook = read_twin(name)
    folder = SOURCE / assignment
    target = folder / f"{name}.ipynb"
    if target.exists() and not discard_edits:
        changed = edited_cells(target, notebook)
        if changed:
            raise KitError(f"{target} was edited since it was built ({', '.join(changed[:5])}); "
                           f"carry the edits into its twin with `python -m utils twin {name}`, "
                           f"or drop them with `python -m utils build {name} --discard-edits`")
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    except CellExecutionError as error:
        # The stored notebook is left as it was; only the cause is reported.
        cause = str(error).strip().splitlines()[-1]
        raise KitError(f"{twin_path(name).name} failed to run, source notebook unchanged: {cause}") from None
    notebook.metadata["kit"] = {"cells_digest": cells_digest(notebook)}
    nbformat.write(notebook, target)
    return target


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "build", help="execute the notebook twins into source/",
        description="Regenerate source notebooks from utils/notebooks/*.py and execute them.\n"
                    "Example: python -m utils build dinosaur_island")
    parser.add_argument("names", nargs="*", help="twin names (default: all)")
    parser.add_argument("--discard-edits", action="store_true",
                        help="overwrite a source notebook even if it was edited since it was built")
    parser.set_defaults(run=run)


def run(args):
    names = args.names or sorted(p.stem for p in TWINS.glob("*.py"))
    for name in names:
        print(f"built {build_notebook(name, discard_edits=args.discard_edits)}")
