"""The Dinosaur Island kit's own tools: building, releasing and grading the course.

Run ``python -m utils --help`` from the repository root for the commands.
"""
import sys
from pathlib import Path

# jsonschema, which nbformat validates notebooks with, builds 38 parsers for the IRI string
# formats when it is imported if rfc3987_syntax is installed (jupyter_events asks for it): 3 s in
# every process that reads a notebook. The notebook schema uses no such format, so the kit's
# processes (the grader, its units, Dask workers) import jsonschema without that module.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
ASSIGNMENT = "dinosaur_island"


class KitError(Exception):
    """A problem with the course or the command line, reported as one line."""
