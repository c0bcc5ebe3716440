"""Read a notebook from its plain-text twin (a percent-format Python file).

The twins in utils/notebooks/ are where the course notebooks are written and
reviewed. Cells start with a header line:

    # %% [markdown]                    markdown; every line starts with '#'
    # %%                               ordinary code cell
    # %% [solution] id=clip            the student's answer cell
    # %% [tests] id=clip_hidden points=3   locked, graded test cell
    # %% [readonly] id=imports         locked code cell, not graded

``tags=a,b`` after the kind adds cell tags (e.g. nbval-ignore-output).
The nbgrader metadata of every cell comes from its header, nowhere else.
"""
import re

import nbformat

HEADER = re.compile(r"^# %%(?: \[(?P<kind>\w+)\])?(?P<options>(?: \w+=\S+)*)\s*$")
KINDS = ("code", "markdown", "solution", "tests", "readonly")


class TwinError(ValueError):
    """The twin file is malformed; the message names the line."""


def nbgrader_metadata(kind, options):
    """The nbgrader cell metadata for a cell kind, or None for ordinary cells."""
    if kind in ("code", "markdown"):
        return None
    if "id" not in options:
        raise TwinError(f"a [{kind}] cell needs id=NAME")
    meta = {
        "grade": kind == "tests",
        "grade_id": options["id"],
        "locked": kind != "solution",
        "schema_version": 3,
        "solution": kind == "solution",
        "task": False,
    }
    if kind == "tests":
        meta["points"] = int(options.get("points", 1))
    return meta


def _cell(kind, options, lines):
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if kind == "markdown":
        body = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        cell = nbformat.v4.new_markdown_cell("\n".join(body))
    else:
        cell = nbformat.v4.new_code_cell("\n".join(lines))
    meta = nbgrader_metadata(kind, options)
    if meta is not None:
        cell.metadata["nbgrader"] = meta
    if "tags" in options:
        cell.metadata["tags"] = options["tags"].split(",")
    return cell


def parse_twin(text, kernel="python3"):
    """Turn the twin's text into a new nbformat v4 notebook (no outputs)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": kernel}
    notebook.metadata["language_info"] = {"name": "python"}
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("# %%"):
            match = HEADER.match(line)
            if not match or (match["kind"] or "code") not in KINDS:
                raise TwinError(f"line {number}: bad cell header {line!r}")
            if current:
                notebook.cells.append(_cell(*current))
            options = dict(opt.split("=", 1) for opt in match["options"].split())
            current = (match["kind"] or "code", options, [])
        elif current is None:
            if line.strip():
                raise TwinError(f"line {number}: text before the first '# %%' header")
        else:
            current[2].append(line)
    if current:
        notebook.cells.append(_cell(*current))
    # Stable ids keep regenerated notebooks identical when nothing changed.
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index:03d}"
    return notebook
