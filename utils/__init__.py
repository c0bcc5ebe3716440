"""The Dinosaur Island kit's own tools: building, releasing and grading the course.

Run ``python -m utils --help`` from the repository root for the commands.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
ASSIGNMENT = "dinosaur_island"


class KitError(Exception):
    """A problem with the course or the command line, reported as one line."""
