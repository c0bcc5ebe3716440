"""Taking submissions in: where they are, what they hold, and what is wrong with them before
anything runs.

A submission folder is read without ever following a link: take_in copies its folders and
regular files only, and names the links and special files (FIFOs, sockets, devices) it leaves
out, so that nothing outside the folder is read (a link to the gradebook or to /etc/shadow
stays a name in the report).
"""
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import nbformat

from .. import KitError
from ..submissions import grade_id

KINDS = {stat.S_IFIFO: "FIFO", stat.S_IFSOCK: "socket", stat.S_IFCHR: "character device",
         stat.S_IFBLK: "block device", stat.S_IFLNK: "symbolic link"}
# Editor and interpreter leftovers that are never part of a submission.
SKIPPED = {".ipynb_checkpoints", "__pycache__"}
# Written into a submission folder by the zip intake (utils/collect.py): what it left out of the
# archives for this student, one line each. take_in reports its lines and does not copy it.
INTAKE_NOTE = ".left-out-on-intake.txt"


def find_submissions(folder, assignment):
    """{student: submission folder} for folder/<student>/<assignment>/.

    A student whose folder (or submission folder) is a link is listed but the link is not
    followed: take_in refuses to read it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise KitError(f"no submissions folder {folder}")
    found = {}
    for student in sorted(folder.iterdir()):
        if student.name.startswith("."):
            continue
        path = student / assignment
        if student.is_symlink() or path.is_symlink() or path.is_dir():
            found[student.name] = path
    return found


def take_in(source, target):
    """Copy the submission folder source to target (made here): its folders and regular files.

    Links and special files are left out, and nothing they point to is read; returns one line
    per entry left out (e.g. 'symbolic link leak -> /etc/shadow'). A submission folder that is
    itself a link, or under one, is not read at all.
    """
    target = Path(target)
    target.mkdir(parents=True)
    dropped = []
    for path, info, content, left_out in _entries(source):
        if path is None:
            return [left_out]
        if left_out:
            dropped.append(left_out)
        elif stat.S_ISDIR(info.st_mode):
            (target / path).mkdir()
        elif path == INTAKE_NOTE:
            with content() as reader:
                dropped += reader.read(64 * 1024).decode("utf-8", "replace").splitlines()
        else:
            with content() as reader, open(target / path, "xb") as writer:
                shutil.copyfileobj(reader, writer)
    return dropped


def take_in_archive(source, cap):
    """The submission folder source as take_in copies it, as a tar archive (bytes) for a grading
    worker: folders and regular files, and the lines of what was left out in an INTAKE_NOTE file
    (take_in reports them again where the archive is unpacked). None when its files hold more
    than cap bytes."""
    buffer, dropped, total = io.BytesIO(), [], 0
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for path, info, content, left_out in _entries(source):
            if path is None or left_out:
                dropped.append(left_out)
            elif stat.S_ISDIR(info.st_mode):
                member = tarfile.TarInfo(path)
                member.type, member.mode, member.mtime = tarfile.DIRTYPE, 0o755, info.st_mtime
                archive.addfile(member)
            elif path == INTAKE_NOTE:
                with content() as reader:
                    dropped += reader.read(64 * 1024).decode("utf-8", "replace").splitlines()
            else:
                with content() as reader:
                    opened = os.fstat(reader.fileno())
                    total += opened.st_size
                    if total > cap:
                        return None
                    member = tarfile.TarInfo(path)
                    member.size, member.mode, member.mtime = opened.st_size, 0o644, opened.st_mtime
                    archive.addfile(member, reader)
        if dropped:
            note = "".join(f"{line}\n" for line in dropped).encode()
            member = tarfile.TarInfo(INTAKE_NOTE)
            member.size = len(note)
            archive.addfile(member, io.BytesIO(note))
    return buffer.getvalue()


def digest(folder):
    """A hash of a submission: names and contents of its files, and what take_in leaves out."""
    sha = hashlib.sha256()
    for path, info, content, left_out in _entries(folder):
        if left_out:
            sha.update(left_out.encode() + b"\0")
        elif stat.S_ISREG(info.st_mode):
            sha.update(path.encode() + b"\0")
            with content() as reader:
                while chunk := reader.read(2**20):
                    sha.update(chunk)
    return sha.hexdigest()[:16]


def _entries(folder):
    """(relative path, lstat result, content(), left out) for everything in a submission folder,
    in name order, never following a link.

    content() opens a regular file for reading; left out is '' or how take_in names an entry it leaves out.
    When the folder itself cannot be read, the only item is (None, None, None, why).
    """
    folder = Path(folder)
    linked = folder.is_symlink() or folder.parent.is_symlink()
    try:
        if linked:
            raise NotADirectoryError
        top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        kind = "a symbolic link" if linked else "not a readable folder"
        yield None, None, None, f"the submission folder is {kind}: not read"
        return
    try:
        yield from _walk(top, "")
    finally:
        os.close(top)


def _walk(folder, prefix):
    for name in sorted(os.listdir(folder)):
        if name in SKIPPED:
            continue
        path = prefix + name
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            try:
                yield path, info, None, ""
                yield from _walk(inner, path + "/")
            finally:
                os.close(inner)
        elif stat.S_ISREG(info.st_mode):
            yield path, info, (lambda name=name: _open(name, folder)), ""
        else:
            yield path, info, None, _left_out(path, name, info, folder)


def _open(name, folder):
    """The regular file name in the directory fd folder, opened for reading, not through a link."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{name} changed while it was read")
    return os.fdopen(fd, "rb")


def _left_out(path, name, info, folder):
    kind = KINDS.get(stat.S_IFMT(info.st_mode), "special file")
    if stat.S_ISLNK(info.st_mode):
        try:
            return f"{kind} {path} -> {os.readlink(name, dir_fd=folder)}"
        except OSError:
            pass
    return f"{kind} {path}"


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
