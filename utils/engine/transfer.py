"""Folders as bytes, for the grading cluster: what a worker receives (the prepared assignment, a
submission) and what it sends back (graded notebooks, feedback) travel as tar archives, so that
no machine needs a filesystem shared with another.

Archives hold folders and regular files only. Unpacking refuses anything else (links, devices,
paths outside the target) and stops at a size cap, so a worker's answer cannot write outside
the folder it is unpacked into nor fill the coordinator's disk.
"""
import io
import os
import shutil
import stat
import tarfile
from pathlib import Path, PurePosixPath

from .. import KitError


def pack(root, paths=None, cap=None):
    """A tar archive (bytes) of the regular files and folders under root, by relative path.

    paths: the relative paths to pack, in order (default: everything under root, links left
    out); cap: stop adding files once the archive would pass this many bytes of content.
    Returns (bytes, the relative paths left out by the cap).
    """
    root = Path(root)
    if paths is None:
        paths = [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
                 if not p.is_symlink() and (p.is_file() or p.is_dir())]
    buffer, total, cut = io.BytesIO(), 0, []
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for relative in paths:
            path = root / relative
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                continue
            size = path.stat().st_size if path.is_file() else 0
            if cap is not None and total + size > cap:
                cut.append(str(relative))
                continue
            total += size
            archive.add(path, arcname=str(relative), recursive=False)
    return buffer.getvalue(), cut


def unpack(data, target, cap, within=None):
    """Unpack an archive made by pack into the folder target (made here, with its parents).
    KitError when it holds anything but folders and regular files inside target, or more than
    cap bytes of content; within: relative folders of target that every file must lie in.

    Nothing is followed on the way: a link already inside target where the archive has a folder
    or a file is refused, so an answer never writes through one."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        members = archive.getmembers()
        if any(not (m.isfile() or m.isdir()) for m in members):
            raise KitError("an archive from the grading cluster holds links or special files")
        if within is not None and not all(_inside(m, within) for m in members):
            raise KitError(f"an archive from the grading cluster holds files outside {', '.join(within)}")
        if sum(m.size for m in members) > cap:
            raise KitError(f"an archive from the grading cluster holds more than {cap} bytes")
        places = [_parts(member.name) for member in members]
        made = set()
        for member, parts in zip(members, places):
            folder = parts if member.isdir() else parts[:-1]
            _make_folders(target, folder, made)
            if member.isfile():
                _write_file(target.joinpath(*parts), archive.extractfile(member))


def _parts(name):
    """The parts of an archive member's relative path; KitError for one that leaves its folder."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(part in ("..", ".") for part in parts):
        raise KitError(f"an archive from the grading cluster is unsafe: it names {name!r}")
    return parts


def _make_folders(target, parts, made):
    """Make target/parts[0]/parts[1]/... folder by folder; KitError at a part that exists and is
    not a folder (a link included). made: the folders known made, skipped."""
    path = target
    for depth, part in enumerate(parts, 1):
        path = path / part
        if parts[:depth] in made:
            continue
        try:
            os.mkdir(path)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise KitError(f"cannot unpack into {path}: it exists and is not a folder") from None
        made.add(parts[:depth])


def _write_file(path, content):
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise KitError(f"cannot unpack into {path}: {error.strerror}") from None
    with open(handle, "wb") as writing:
        shutil.copyfileobj(content, writing)


def _inside(member, folders):
    """Whether an archive member lies in one of folders (or, for a folder, leads to one)."""
    name = member.name.strip("/")
    return any(name == folder or name.startswith(folder + "/")
               or (member.isdir() and folder.startswith(name + "/")) for folder in folders)
