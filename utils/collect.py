"""Submissions from a learning-management system's zip export, through nbgrader's zip_collect.

The archives are copied to downloaded/<assignment>/archive/, nbgrader extracts them and files
every notebook under submitted/<student>/<assignment>/ by matching its path against a regular
expression. nbgrader matches the ABSOLUTE path of the extracted file, so the pattern starts with
``.*/`` and describes the file name only. The default accepts the two common export styles:

    Canvas:  smithjane_12345_67890_dinosaur_island.ipynb
             smithjane_late_12345_67890_dinosaur_island-1.ipynb   (re-submission)
    Moodle:  Jane Smith_12345_assignsubmission_file_dinosaur_island.ipynb
             Jane Smith_12345_assignsubmission_file_/dinosaur_island.ipynb

Another style: set ``c.Grading.zip_pattern`` in nbgrader_config.py (groups student_id, file_id).
"""
import shutil
import subprocess
import sys
from pathlib import Path

from . import KitError
from .engine.assignment import nbgrader_env
from .engine.settings import load_settings

DEFAULT_PATTERN = (r".*/(?P<student_id>[^/]+?)_(?:late_)?\d+_(?:\d+|assignsubmission_file)_/?"
                   r"(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$")


def collect_zips(root, assignment, archives):
    """Unpack LMS zip files into root/submitted/; returns that folder."""
    root = Path(root)
    missing = [str(path) for path in archives if not Path(path).is_file()]
    if missing:
        raise KitError(f"no such zip file: {', '.join(missing)}")
    if not (root / "release" / assignment).is_dir():
        raise KitError(f"zip collection needs the released assignment at {root / 'release' / assignment}")
    inbox = root / "downloaded" / assignment / "archive"
    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    for path in archives:
        shutil.copy(path, inbox / Path(path).name)
    pattern = load_settings(root).zip_pattern or DEFAULT_PATTERN
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "zip_collect", assignment, "--force",
         f"--FileNameCollectorPlugin.named_regexp={pattern}"],
        cwd=root, capture_output=True, text=True, env=nbgrader_env())
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise KitError(f"nbgrader zip_collect failed: {last}")
    skipped = [line.split(": ", 1)[-1] for line in done.stderr.splitlines()
               if "Skipped submission with no match" in line]
    for name in skipped:
        print(f"warning: not a submission file name this course knows: {name}", file=sys.stderr)
    return root / "submitted"
