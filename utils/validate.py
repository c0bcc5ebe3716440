"""``python -m utils validate NOTEBOOK``: nbgrader's validation, with an exit code scripts can use.

Plain ``nbgrader validate`` prints failures but exits 0. This runs the same validator (the
notebook executed with NBGRADER_EXECUTION=validate, as students' Validate button does), prints
its report, then exits 0 if every check passed and 1 if any failed or a locked cell was changed.
"""
import json
import re
from pathlib import Path

from . import ROOT, KitError


def validate(notebook, config_root=ROOT):
    """nbgrader's validation results for a notebook: {'failed': [...], 'changed': [...], ...}."""
    from nbgrader.validator import Validator
    from traitlets.config.loader import PyFileConfigLoader

    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise KitError(f"no notebook at {notebook}")
    try:
        json.loads(notebook.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as error:
        raise KitError(f"{notebook.name} is not valid notebook JSON ({error.msg}, line {error.lineno})") from None
    config = PyFileConfigLoader("nbgrader_config.py", path=str(config_root)).load_config()
    validator = Validator(config=config)
    try:
        return validator.validate(str(notebook))
    except Exception as error:
        line = (str(error).strip().splitlines() or [type(error).__name__])[-1]
        raise KitError(f"{notebook.name} could not be validated: {line}") from None


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(cell):
    return repr(cell["source"].strip().splitlines()[0][:70]) if cell["source"].strip() else "(empty)"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "validate", help="run a notebook's checks as nbgrader validate does; exit 1 on failure",
        description="Validate a student notebook (runs it, then reports failing checks).\n"
                    "Exit code: 0 all checks pass, 1 a check fails or a locked cell was changed, "
                    "2 the notebook cannot be read.\n"
                    "Example: python -m utils validate release/dinosaur_island/dinosaur_island.ipynb",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.set_defaults(run=run)


def run(args):
    results = validate(args.notebook)
    problems = {kind: results.get(kind, []) for kind in ("type_changed", "changed", "failed")}
    if not any(problems.values()):
        print(f"{args.notebook.name}: every check passed")
        return 0
    for cell in problems["failed"]:
        error = [line for line in ANSI.sub("", cell["raw_error"]).splitlines() if line.strip()]
        print(f"FAILED  check starting {_first_line(cell)}\n        {error[-1] if error else 'error'}")
    for cell in problems["changed"] + problems["type_changed"]:
        print(f"CHANGED locked cell starting {_first_line(cell)} (restore it from the release)")
    count = ", ".join(f"{len(cells)} {kind.replace('_', ' ')}" for kind, cells in problems.items() if cells)
    print(f"{args.notebook.name}: validation failed ({count})")
    return 1
