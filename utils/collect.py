"""Submissions from a learning-management system's zip export, through nbgrader's zip_collect.

The archives are copied to downloaded/<assignment>/archive/, nbgrader extracts them and files
every notebook under submitted/<student>/<assignment>/ by matching its path against a regular
expression. nbgrader matches the ABSOLUTE path of the extracted file, so the pattern starts with
``.*/`` and describes the file name only. The default accepts the two common export styles:

    Canvas:  smithjane_12345_67890_dinosaur_island.ipynb
             smithjane_late_12345_67890_dinosaur_island-1.ipynb   (re-submission)
    Moodle:  Jane Smith_12345_assignsubmission_file_dinosaur_island.ipynb
             Jane Smith_12345_assignsubmission_file_/dinosaur_island.ipynb

Another style: set ``c.Grading.zip_pattern`` in nbgrader_config.py (groups student_id, file_id;
optional groups first_name, last_name and email name the student in the gradebook, as Moodle's
"First Last" does with the default pattern, which takes the last word as the last name).

When the export gives no time, a student's hand-in time is the newest date of their files in the
archive (the dates the learning-management system wrote, read as UTC), kept in timestamp.txt.

Archives may hold links and special files (a zip keeps a symbolic link as an entry with its
target; a tar keeps links, FIFOs and devices). nbgrader's extraction (setuptools) would write a
zip's link as a file holding its target's path, and skips a tar's; here a zip is copied into the
inbox without them, and every entry left out is named: in the note of the student whose file it
would have been (intake.INTAKE_NOTE, reported as a flag when grading), or as a warning.
"""
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from datetime import datetime
from pathlib import Path

from . import KitError
from .engine.assignment import nbgrader_env
from .engine.intake import INTAKE_NOTE
from .engine.settings import load_settings

DEFAULT_PATTERN = (r".*/(?P<student_id>(?P<first_name>[^/_]+) (?P<last_name>[^/_ ]+)|[^/]+?)"
                   r"_(?:late_)?\d+_(?:\d+|assignsubmission_file)_/?"
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
    left_out = {}
    for path in archives:
        left_out[Path(path).name] = copy_archive(path, inbox / Path(path).name)
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
    note_left_out(root, assignment, pattern, left_out)
    _stamp_from_archives(root, assignment, inbox)
    return root / "submitted"


def copy_archive(source, target):
    """Copy an archive into the inbox, a zip without its links and special files; returns the
    lines naming what was left out (a tar's links and special files, which nbgrader skips, are
    named too)."""
    left_out = []
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as copy:
            for entry in archive.infolist():
                kind = stat.S_IFMT(entry.external_attr >> 16)
                if kind in (0, stat.S_IFREG, stat.S_IFDIR):
                    with archive.open(entry) as reader, copy.open(entry, "w", force_zip64=True) as writer:
                        shutil.copyfileobj(reader, writer)
                elif kind == stat.S_IFLNK:
                    link = archive.read(entry)[:300].decode("utf-8", "replace")
                    left_out.append((entry.filename, f"symbolic link {entry.filename} -> {link}"))
                else:
                    left_out.append((entry.filename, f"special file {entry.filename}"))
        return left_out
    shutil.copy(source, target)
    if tarfile.is_tarfile(source):
        with tarfile.open(source) as archive:
            for member in archive:
                if member.issym() or member.islnk():
                    left_out.append((member.name, f"link {member.name} -> {member.linkname}"))
                elif not (member.isfile() or member.isdir()):
                    left_out.append((member.name, f"special file {member.name}"))
    return left_out


def note_left_out(root, assignment, pattern, left_out):
    """Write what was left out of the archives into the note of the student each entry would
    have belonged to (matched as nbgrader matches extracted files); warn about the others."""
    extracted = Path(root).resolve() / "downloaded" / assignment / "extracted"
    notes = {}
    for archive, entries in left_out.items():
        # nbgrader extracts export.zip, export.tar.gz, export.gz to extracted/export/
        stem = re.sub(r"(\.tar)?(\.zip|\.gz)$", "", archive)
        folder = extracted / stem
        for name, line in entries:
            match = re.match(pattern, str(folder / name))
            student = match.groupdict().get("student_id") if match else None
            if student and "/" not in student and not student.startswith("."):
                notes.setdefault(student, []).append(f"{line} (in {archive})")
            else:
                print(f"warning: left out of {archive}: {line}", file=sys.stderr)
    for student, lines in notes.items():
        folder = Path(root) / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / INTAKE_NOTE).write_text("".join(f"{line}\n" for line in lines))


def _students_of_files(root, assignment):
    """[(student, file name match, extracted file)] for the files zip_collect extracted."""
    pattern = re.compile(load_settings(root).zip_pattern or DEFAULT_PATTERN)
    extracted = (Path(root) / "downloaded" / assignment / "extracted").resolve()
    found = []
    for path in sorted(p for p in extracted.rglob("*") if p.is_file()):
        match = pattern.match(str(path))  # nbgrader matches the absolute path too
        if match and match.groupdict().get("student_id"):
            found.append((match["student_id"], match, path))
    return found


def export_details(root, assignment):
    """What the export's file names tell of each student, for the gradebook:
    {student: {"first_name", "last_name", "email"}} (only the parts the pattern captures)."""
    details = {}
    for student, match, _ in _students_of_files(root, assignment):
        known = {key: match.group(key) for key in ("first_name", "last_name", "email")
                 if match.groupdict().get(key)}
        if known:
            details[student] = known
    return details


def _stamp_from_archives(root, assignment, inbox):
    """Write timestamp.txt for collected students without one: the newest archive date of their
    files (stable when the same export is collected again, unlike the extraction time)."""
    from .engine.records import write_timestamp
    extracted = (Path(root) / "downloaded" / assignment / "extracted").resolve()
    dates = {}
    for archive in sorted(Path(inbox).glob("*.zip")):
        with zipfile.ZipFile(archive) as opened:
            for member in opened.infolist():
                if not member.is_dir():
                    dates[extracted / archive.stem / member.filename] = datetime(*member.date_time)
    newest = {}
    for student, _, path in _students_of_files(root, assignment):
        if path in dates:
            newest[student] = max(newest.get(student, dates[path]), dates[path])
    for student, when in newest.items():
        folder = Path(root) / "submitted" / student / assignment
        if folder.is_dir():
            write_timestamp(folder, when)
