"""The twin format the course notebooks are written in."""
import nbformat
import pytest

from utils import ASSIGNMENT, SOURCE, KitError
from utils.build import TWINS
from utils.notebook_twin import TwinError, cells_digest, parse_twin, points_problem, to_twin

TWIN = """\
# %% [markdown]
# # Title
#
# Some *text*.

# %% [readonly] id=imports
import numpy as np

# %% [solution] id=clip
def clip(g, m):
    ### BEGIN SOLUTION
    return g
    ### END SOLUTION

# %% [tests] id=clip_hidden points=3 tags=nbval-ignore-output
assert True

# %%
print(1)
"""


def test_cells_and_nbgrader_metadata_come_from_headers():
    nb = parse_twin(TWIN)
    kinds = [cell.cell_type for cell in nb.cells]
    assert kinds == ["markdown", "code", "code", "code", "code"]
    assert nb.cells[0].source == "# Title\n\nSome *text*."
    imports, solution, tests, plain = (cell.metadata.get("nbgrader") for cell in nb.cells[1:])
    assert imports["locked"] and not imports["grade"] and not imports["solution"]
    assert solution["solution"] and not solution["locked"] and solution["grade_id"] == "clip"
    assert tests["grade"] and tests["locked"] and tests["points"] == 3
    assert plain is None
    assert nb.cells[3].metadata["tags"] == ["nbval-ignore-output"]
    assert nb.cells[2].source.startswith("def clip(")
    assert [cell.id for cell in nb.cells] == [f"cell-{i:03d}" for i in range(5)]


@pytest.mark.parametrize("text, where", [
    ("# %% [bogus] id=x\npass\n", "line 1"),
    ("# %% [tests]\npass\n", "needs id"),
    ("stray\n# %%\npass\n", "line 1"),
])
def test_malformed_twins_say_where(text, where):
    with pytest.raises(TwinError, match=where):
        parse_twin(text)


HIDDEN_TWIN = """\
# %% [solution] id=double
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION

# %% [tests] id=double_hidden reference=double
# Hidden tests of double.
### BEGIN HIDDEN TESTS
import checks as _checks
_double = _checks.Exercise("double", _reference_double)
_double.case("one", 1)
_checks.grade(_double, globals(), points=3)
### END HIDDEN TESTS
"""


def test_points_of_a_graded_cell_are_declared_once():
    notebook = parse_twin(HIDDEN_TWIN)
    assert notebook.cells[1].metadata["nbgrader"]["points"] == 3
    with pytest.raises(TwinError, match="cell double_hidden gives points=2 in its header and points=3"):
        parse_twin(HIDDEN_TWIN.replace("reference=double", "reference=double points=2"))
    edited = parse_twin(HIDDEN_TWIN)
    edited.cells[1].metadata["nbgrader"]["points"] = 4      # as the Create Assignment toolbar does
    assert points_problem(edited.cells[1]) == ("cell double_hidden: its metadata gives 4 points but its "
                                               "code grades out of points=3; change the points in the code")


def test_the_reference_is_the_solution_itself_copied_into_the_hidden_region():
    hidden = parse_twin(HIDDEN_TWIN).cells[1].source
    region = hidden.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
    assert "def _instructors_double():\n    def double(x):\n        return 2 * x\n    return double" in region
    assert "_reference_double = _instructors_double()" in region and "BEGIN SOLUTION" not in region
    with pytest.raises(TwinError, match="reference=triple names no solution cell"):
        parse_twin(HIDDEN_TWIN.replace("reference=double", "reference=triple"))


@pytest.mark.parametrize("name", sorted(p.stem for p in TWINS.glob("*.py")))
def test_every_twin_goes_to_a_notebook_and_back(name):
    text = (TWINS / f"{name}.py").read_text()
    notebook = parse_twin(text)
    assert to_twin(notebook) == text, "run `python -m utils twin NAME` to write the twin in its canonical form"
    assert cells_digest(parse_twin(to_twin(notebook))) == cells_digest(notebook)


@pytest.mark.parametrize("name", sorted(p.stem for p in TWINS.glob("*.py")))
def test_every_graded_cell_of_the_source_notebooks_declares_its_points_once(name):
    notebook = nbformat.read(SOURCE / ASSIGNMENT / f"{name}.ipynb", as_version=4)
    assert [problem for problem in map(points_problem, notebook.cells) if problem] == []
    assert cells_digest(notebook) == cells_digest(parse_twin((TWINS / f"{name}.py").read_text())), \
        "the source notebook differs from its twin: run `python -m utils build`"


def test_build_never_overwrites_an_edit_made_in_jupyter(tmp_path, monkeypatch):
    from utils import build, twin
    monkeypatch.setattr(build, "TWINS", tmp_path / "twins")
    monkeypatch.setattr(build, "SOURCE", tmp_path / "source")
    monkeypatch.setattr(twin, "SOURCE", tmp_path / "source")
    (tmp_path / "twins").mkdir()
    folder = tmp_path / "source" / ASSIGNMENT
    folder.mkdir(parents=True)
    (tmp_path / "twins" / "tiny.py").write_text("# %% [markdown]\n# A title\n\n# %%\nprint(6 * 7)\n")
    target = build.build_notebook("tiny")
    notebook = nbformat.read(target, as_version=4)
    notebook.cells[1].source = "print(6 * 9)"               # edited in Jupyter
    nbformat.write(notebook, target)
    with pytest.raises(KitError, match=r"tiny.ipynb was edited since it was built \(cell-001\); "
                                       r"carry the edits into its twin with `python -m utils twin tiny`"):
        build.build_notebook("tiny")
    assert nbformat.read(target, as_version=4).cells[1].source == "print(6 * 9)"
    twin.write_twin("tiny")                                   # the edit goes into the twin ...
    assert "print(6 * 9)" in (tmp_path / "twins" / "tiny.py").read_text()
    rebuilt = nbformat.read(build.build_notebook("tiny"), as_version=4)   # ... and survives build
    assert rebuilt.cells[1].outputs[0].text == "54\n"
    notebook.cells[1].source = "print(0)"
    nbformat.write(notebook, target)
    dropped = nbformat.read(build.build_notebook("tiny", discard_edits=True), as_version=4)
    assert dropped.cells[1].source == "print(6 * 9)"
