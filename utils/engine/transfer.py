"""Folders as bytes, for the grading cluster: what a worker receives (the prepared assignment, a
submission) and what it sends back (graded notebooks, feedback) travel as tar archives, so that
no machine needs a filesystem shared with another.

Archives hold folders and regular files only. Unpacking refuses anything else (links, devices,
paths outside the target) and stops at a size cap, so a worker's answer cannot write outside
the folder it is unpacked into nor fill the coordinator's disk.
"""
import io
import tarfile
from pathlib import Path

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
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
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
    cap bytes of content; within: relative folders of target that every file must lie in."""
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
        try:
            archive.extractall(target, members=members, filter="data")
        except tarfile.FilterError as error:
            raise KitError(f"an archive from the grading cluster is unsafe: {error}") from None


def _inside(member, folders):
    """Whether an archive member lies in one of folders (or, for a folder, leads to one)."""
    name = member.name.strip("/")
    return any(name == folder or name.startswith(folder + "/")
               or (member.isdir() and folder.startswith(name + "/")) for folder in folders)
