"""The twin format the course notebooks are written in."""
import pytest

from utils.notebook_twin import TwinError, parse_twin

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
