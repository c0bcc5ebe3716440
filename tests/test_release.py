"""release/ is nbgrader's student version of source/, current and free of solutions."""
import filecmp
import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from utils import ASSIGNMENT, RELEASE
from utils.release import generate_release

RELEASED_NOTEBOOK = RELEASE / ASSIGNMENT / "dinosaur_island.ipynb"


def test_release_is_in_sync_with_source(tmp_path):
    fresh = generate_release(destination=tmp_path)
    compare = filecmp.dircmp(fresh, RELEASE / ASSIGNMENT)
    stale = compare.left_only + compare.right_only + compare.diff_files
    # dircmp compares shallowly; the notebook is compared byte for byte.
    same_notebook = (fresh / RELEASED_NOTEBOOK.name).read_bytes() == RELEASED_NOTEBOOK.read_bytes()
    assert not stale and same_notebook, (
        f"release/ is out of date with source/ ({stale or 'notebook differs'}): "
        "run `python -m utils release`")


def test_released_notebook_has_no_solutions_and_no_outputs():
    text = RELEASED_NOTEBOOK.read_text()
    notebook = json.loads(text)
    assert "BEGIN SOLUTION" not in text and "np.clip(" not in text
    assert "HIDDEN TESTS" not in text and "_reference_sample" not in text
    assert "np.random.shuffle" not in text
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_released_notebook_runs_until_the_first_exercise_and_says_so_in_one_line(tmp_path):
    for item in (RELEASE / ASSIGNMENT).iterdir():
        (tmp_path / item.name).write_bytes(item.read_bytes())
    notebook = nbformat.read(tmp_path / RELEASED_NOTEBOOK.name, as_version=4)
    client = NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError, match="clip is not written yet: fill in the cell above"):
        client.execute()
    failed = [cell for cell in notebook.cells if cell.cell_type == "code"
              and any(out.output_type == "error" for out in cell.get("outputs", []))]
    assert failed[0].metadata["nbgrader"]["grade_id"] == "clip_visible"
    error = next(out for out in failed[0].outputs if out.output_type == "error")
    assert error.ename == "NotWrittenYet" and len(error.traceback) == 1, error.traceback
    dataset = next(cell for cell in notebook.cells
                   if cell.metadata.get("nbgrader", {}).get("grade_id") == "dataset")
    names = len((RELEASE / ASSIGNMENT / "dinos.txt").read_text().split())
    assert f"{names} names, 27 distinct characters" in dataset.outputs[0].text
