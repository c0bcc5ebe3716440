"""Notebooks as students hand them in: the released notebook with solution cells filled.

Used to make the bundled demo submissions and the test submissions, so they are always built
from the current release and the instructor's current solutions.
"""
import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def grade_id(cell):
    """The nbgrader cell id of a cell, or None for cells nbgrader does not track."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def instructor_solutions(source_notebook):
    """{grade_id: source} of the solution cells of a source notebook, markers removed."""
    solutions = {}
    for cell in source_notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            lines = [line for line in cell.source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS]
            solutions[meta["grade_id"]] = "\n".join(lines)
    return solutions


def filled_notebook(release_notebook, solutions):
    """A copy of the released notebook with the given {grade_id: source} solution cells."""
    notebook = nbformat.from_dict(release_notebook)
    unknown = set(solutions) - {grade_id(cell) for cell in notebook.cells}
    if unknown:
        raise ValueError(f"no solution cell with id {', '.join(sorted(unknown))}")
    for cell in notebook.cells:
        if grade_id(cell) in solutions:
            cell.source = solutions[grade_id(cell)]
    return notebook
