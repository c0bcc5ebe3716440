"""Read a notebook from its plain-text twin (a percent-format Python file), and back.

The twins in utils/notebooks/ are where the course notebooks are written and
reviewed. Cells start with a header line:

    # %% [markdown]                          markdown; every line starts with '#'
    # %%                                     ordinary code cell
    # %% [solution] id=clip                  the student's answer cell
    # %% [tests] id=clip_visible points=1    locked, graded test cell
    # %% [tests] id=clip_hidden reference=clip   hidden tests of the exercise clip
    # %% [readonly] id=imports               locked code cell, not graded

``tags=a,b`` after the kind adds cell tags (e.g. nbval-ignore-output).
The nbgrader metadata of every cell comes from its header, nowhere else, with one
exception that keeps points in one place: a tests cell whose code ends with a call
that takes ``points=N`` (``checks.grade(..., points=2)``) is worth N points, and a
header that says otherwise is an error.

``reference=NAME`` copies the solution cell NAME, as the instructor wrote it, into
the cell's hidden region as ``_reference_NAME`` (see ``reference_block``), so that
the hidden tests compare with the solution itself and it is written only once.
"""
import ast
import hashlib
import json
import re
import textwrap

import nbformat

HEADER = re.compile(r"^# %%(?: \[(?P<kind>\w+)\])?(?P<options>(?: \w+=\S+)*)\s*$")
KINDS = ("code", "markdown", "solution", "tests", "readonly")
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


class TwinError(ValueError):
    """The twin file is malformed; the message names the line or the cell."""


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


def code_points(source):
    """The N of a final ``...(points=N)`` call in a cell's code, or None when it has none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    last = tree.body[-1] if tree.body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)):
        return None
    for keyword in last.value.keywords:
        if keyword.arg == "points" and isinstance(keyword.value, ast.Constant) \
                and isinstance(keyword.value.value, (int, float)):
            return keyword.value.value
    return None


def hidden_code(source):
    """The code between the hidden-test markers of a cell (its whole code when it has none)."""
    if HIDDEN_BEGIN not in source:
        return source
    return source.split(HIDDEN_BEGIN, 1)[1].split(HIDDEN_END, 1)[0]


def points_problem(cell):
    """One line when a graded cell's metadata points differ from the points its code declares."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if not meta.get("grade"):
        return None
    declared = code_points(textwrap.dedent(hidden_code(cell.source)))
    if declared is not None and float(meta.get("points", 0)) != float(declared):
        return (f"cell {meta.get('grade_id')}: its metadata gives {meta.get('points')} points but its "
                f"code grades out of points={declared:g}; change the points in the code")
    return None


def solution_code(source):
    """A solution cell's code without nbgrader's solution markers."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def reference_block(name, solution):
    """Code that defines _reference_NAME from the instructor's solution of NAME (markers
    removed). The solution runs inside a function of its own, so that its names (helpers, and
    the function's references to itself such as model.losses) are the reference's own and
    nothing of the student's is replaced but NAME itself, afterwards, by checks.grade."""
    return "\n".join([
        f"# The instructor's {name} (the solution cell, copied here by `python -m utils build`):",
        f"def _instructors_{name}():",
        textwrap.indent(solution.strip("\n"), "    "),
        f"    return {name}",
        f"_reference_{name} = _instructors_{name}()",
        f"# (end of the instructor's {name})",
    ])


def without_reference_block(source):
    """source with the reference block that build inserted taken out again."""
    match = re.search(r"\n# The instructor's (\w+) \(the solution cell.*?\n# \(end of the instructor's \1\)",
                      source, re.S)
    return source[:match.start()] + source[match.end():] if match else source


def _cell(kind, options, lines, where):
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
        if kind == "tests":
            declared = code_points(textwrap.dedent(hidden_code(cell.source)))
            if declared is not None:
                if "points" in options and float(options["points"]) != float(declared):
                    raise TwinError(f"{where}: cell {options['id']} gives points={options['points']} "
                                    f"in its header and points={declared:g} in its code; keep one")
                meta["points"] = declared
        cell.metadata["nbgrader"] = meta
    if "tags" in options:
        cell.metadata["tags"] = options["tags"].split(",")
    if "reference" in options:
        cell.metadata["reference"] = options["reference"]
    return cell


def _insert_references(notebook):
    """Put the reference block of every [tests] cell with reference=NAME into its hidden region."""
    solutions = {cell.metadata["nbgrader"]["grade_id"]: solution_code(cell.source)
                 for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")}
    for cell in notebook.cells:
        name = cell.metadata.pop("reference", None)
        if name is None:
            continue
        where = f"cell {cell.metadata['nbgrader']['grade_id']}"
        if name not in solutions:
            raise TwinError(f"{where}: reference={name} names no solution cell")
        if HIDDEN_BEGIN not in cell.source:
            raise TwinError(f"{where}: reference={name} needs a {HIDDEN_BEGIN} region")
        before, after = cell.source.split(HIDDEN_BEGIN, 1)
        cell.source = f"{before}{HIDDEN_BEGIN}\n{reference_block(name, solutions[name])}{after}"


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
            current = (match["kind"] or "code", options, [], f"line {number}")
        elif current is None:
            if line.strip():
                raise TwinError(f"line {number}: text before the first '# %%' header")
        else:
            current[2].append(line)
    if current:
        notebook.cells.append(_cell(*current))
    _insert_references(notebook)
    # Stable ids keep regenerated notebooks identical when nothing changed.
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index:03d}"
    return notebook


def cells_digest(notebook):
    """A hash of what the twin decides in a notebook: each cell's kind, code or text, nbgrader
    metadata and tags (not outputs, execution counts or the notebook's own metadata)."""
    cells = [[cell.cell_type, cell.source, cell.get("metadata", {}).get("nbgrader"),
              cell.get("metadata", {}).get("tags")] for cell in notebook.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def to_twin(notebook):
    """The twin text of a notebook (the inverse of parse_twin: parse_twin(to_twin(nb)) gives nb's
    cells back). Raises TwinError for what a twin cannot say (e.g. points given twice)."""
    parts = []
    references = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        match = re.search(r"# The instructor's (\w+) \(the solution cell", cell.source)
        if match:
            references[meta.get("grade_id")] = match[1]
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if cell.cell_type == "markdown":
            header = "# %% [markdown]"
            body = "\n".join(("# " + line) if line else "#" for line in cell.source.splitlines())
        else:
            kind = ("solution" if meta.get("solution") else "tests" if meta.get("grade")
                    else "readonly" if meta.get("locked") else "code")
            options = []
            if kind != "code":
                options.append(f"id={meta['grade_id']}")
            source = without_reference_block(cell.source)
            if kind == "tests":
                problem = points_problem(cell)
                if problem:
                    raise TwinError(problem)
                if code_points(textwrap.dedent(hidden_code(source))) is None:
                    options.append(f"points={meta.get('points', 1):g}")
                if meta["grade_id"] in references:
                    options.append(f"reference={references[meta['grade_id']]}")
            tags = cell.get("metadata", {}).get("tags")
            if tags:
                options.append("tags=" + ",".join(tags))
            header = f"# %% [{kind}]" if kind != "code" else "# %%"
            header += "".join(" " + option for option in options)
            body = source
        parts.append(f"{header}\n{body}\n")
    return "\n".join(parts)
