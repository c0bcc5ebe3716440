"""Taking submissions in: where they are, what they hold, and what is wrong with them before
anything runs."""
import hashlib
import json
from pathlib import Path

import nbformat

from .. import KitError
from ..submissions import grade_id


def find_submissions(folder, assignment):
    """{student: submission folder} for folder/<student>/<assignment>/."""
    folder = Path(folder)
    if not folder.is_dir():
        raise KitError(f"no submissions folder {folder}")
    return {path.parent.name: path for path in sorted(folder.glob(f"*/{assignment}"))
            if path.is_dir() and not path.parent.name.startswith(".")}


def digest(folder):
    """A hash of every file of a submission (names and contents)."""
    sha = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        sha.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:16]


def inspect(assignment, folder):
    """Check a submission before running it: (status or None, message, flags).

    Flags name locked cells the student changed or deleted; nbgrader restores them when grading,
    but it also reports every hidden-test cell as changed, which buries real tampering.
    """
    flags, found = [], sorted(p.name for p in Path(folder).glob("*.ipynb"))
    for name, released in assignment.notebooks.items():
        path = Path(folder) / f"{name}.ipynb"
        if not path.exists():
            other = f"found {', '.join(found)}" if found else "found no notebook"
            return "missing notebook", f"expected {name}.ipynb, {other}", flags
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            json.loads(text)
            submitted = nbformat.reads(text, as_version=4)
            nbformat.validate(submitted)
        except json.JSONDecodeError as error:
            return ("invalid notebook",
                    f"{path.name} is not valid JSON ({error.msg}, line {error.lineno})", flags)
        except Exception as error:
            line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
            return "invalid notebook", f"{path.name} is not a valid notebook: {line}", flags
        cells = {grade_id(c): c for c in submitted.cells if grade_id(c)}
        for cell in released.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not meta.get("locked"):
                continue
            if meta["grade_id"] not in cells:
                flags.append(f"deleted locked cell {meta['grade_id']}")
            elif cells[meta["grade_id"]].source.strip() != cell.source.strip():
                flags.append(f"edited locked cell {meta['grade_id']}")
    return None, "", flags
