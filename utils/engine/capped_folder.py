"""The writable space of one sandbox: a tmpfs capped in bytes and in files, in a mount namespace
of its own. utils/engine/sandbox.py starts every sandbox through this script:

    python -I -S capped_folder.py BYTES FILES WORKDIR [NAME=BYTES ...] -- COMMAND...

In this process's own mount namespace a tmpfs of BYTES bytes and FILES files (inodes) is mounted
on WORKDIR and laid out as:

    WORKDIR/merged/    WORKDIR as COMMAND sees it: an overlay whose lower layer is the real
                       WORKDIR (read through), with every change written to upper/
    WORKDIR/upper/, WORKDIR/work/   the overlay's own folders
    WORKDIR/tmp/       the sandbox's /tmp
    WORKDIR/shm/       the sandbox's /dev/shm
    WORKDIR/sockets/   a folder for the kernel's Unix sockets; the grader reaches it as
                       /proc/<pid of this process>/root<WORKDIR>/sockets

COMMAND (bubblewrap) binds those into the sandbox, so everything the sandbox can write shares
the two caps: a write past either fails inside the sandbox with ENOSPC ("No space left on
device"), and the host's disk never sees it. When COMMAND ends, the small regular files it
wrote in WORKDIR are copied back to the real WORKDIR (at most RETURNED_FILES files and
RETURNED_BYTES bytes; no links, no special files, nothing deeper than RETURNED_DEPTH folders),
then the tmpfs and all the rest go with this process's namespace, however it ends. This process
dies with its parent (the grader), and COMMAND with it.

Each NAME=BYTES makes an empty file NAME in WORKDIR, before COMMAND starts, with BYTES of the
capped space set aside for it: a command that writes its results there at the end (opening it
for writing truncates it and frees that space) can do so even after code it ran has filled the
rest.

Run as root the namespace is a mount namespace only. Run as an ordinary user (or as a root
without CAP_SYS_ADMIN, in a container) it is also a user namespace in which this process is
root, mapped to the user: tmpfs and overlay mounts need nothing more (Linux 5.11 or newer).

Only the standard library is used: this runs before anything of the kit is importable.
"""
import ctypes
import os
import signal
import stat
import sys

LAYOUT = ("upper", "work", "tmp", "shm", "sockets", "merged")
MERGED, TMP, SHM, SOCKETS = "merged", "tmp", "shm", "sockets"
# Inodes the layout itself and bubblewrap's mount points use, on top of the student's files.
RESERVED_FILES = 64
RETURNED_FILES = 1000
RETURNED_BYTES = 16 * 2**20
RETURNED_DEPTH = 8

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
PR_SET_PDEATHSIG = 1
FALLOC_FL_KEEP_SIZE = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source, target, kind, flags, options):
    _check(_libc.mount(source.encode(), target.encode(), kind.encode() if kind else None, flags,
                       options.encode() if options else None), f"mount {kind or 'private'} {target}")


def enter_namespace():
    """A mount namespace of its own (and a user namespace unless this is a root that may mount);
    returns whether a user namespace was made."""
    uid, gid = os.getuid(), os.getgid()
    # A root without CAP_SYS_ADMIN (in a container) makes a user namespace as anyone else does.
    user_namespace = uid != 0 or _libc.unshare(CLONE_NEWNS) != 0
    if user_namespace:
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare (user namespaces disabled?)")
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    # Nothing mounted here reaches the host's namespace.
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    return user_namespace


def mount_capped(workdir, size, files, user_namespace):
    """Mount the capped tmpfs on workdir with its layout; returns (lower, top) directory fds:
    the real workdir underneath and the tmpfs."""
    lower = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    _mount("kit-sandbox", workdir, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={size},nr_inodes={files + RESERVED_FILES},mode=0755")
    top = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    for name in LAYOUT:
        os.mkdir(name, 0o755, dir_fd=top)
    # Paths through /proc/self/fd hold no commas or colons, which overlay options cannot take.
    options = (f"lowerdir=/proc/self/fd/{lower},upperdir=/proc/self/fd/{top}/upper,"
               f"workdir=/proc/self/fd/{top}/work" + (",userxattr" if user_namespace else ""))
    _mount("overlay", os.path.join(workdir, MERGED), "overlay", MS_NOSUID | MS_NODEV, options)
    return lower, top


def reserve(workdir, name, size):
    """Make the empty file name in the merged workdir, with size bytes set aside for it."""
    fd = os.open(os.path.join(workdir, MERGED, name), os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        _check(_libc.fallocate(fd, FALLOC_FL_KEEP_SIZE, ctypes.c_long(0), ctypes.c_long(size)),
               f"reserve {name}")
    finally:
        os.close(fd)


def run(argv):
    """Run argv as a child; returns its wait status."""
    pid = os.fork()
    if pid == 0:
        try:
            # Python ignores these; a program started the ordinary way does not.
            for name in ("SIGPIPE", "SIGXFSZ"):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def copy_back(upper, lower):
    """Copy the regular files written under upper (a directory fd) into lower, within the caps."""
    budget = {"files": RETURNED_FILES, "bytes": RETURNED_BYTES}
    _copy_folder(upper, lower, budget, RETURNED_DEPTH)


def _copy_folder(source, target, budget, depth):
    entries = sorted(os.scandir(source), key=lambda entry: (entry.is_dir(follow_symlinks=False), entry.name))
    for entry in entries:
        if budget["files"] <= 0:
            return
        if entry.is_file(follow_symlinks=False):
            _copy_file(entry.name, source, target, budget)
        elif entry.is_dir(follow_symlinks=False) and depth > 0:
            try:
                os.mkdir(entry.name, 0o755, dir_fd=target)
            except FileExistsError:
                pass
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
            try:
                inner_source = os.open(entry.name, flags, dir_fd=source)
                inner_target = os.open(entry.name, flags, dir_fd=target)
            except OSError:
                continue
            try:
                _copy_folder(inner_source, inner_target, budget, depth - 1)
            finally:
                os.close(inner_source)
                os.close(inner_target)
        # Links, FIFOs, sockets, devices and overlay whiteouts stay behind.


def _copy_file(name, source, target, budget):
    try:
        reader = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=source)
    except OSError:
        return
    try:
        info = os.fstat(reader)
        if not stat.S_ISREG(info.st_mode) or info.st_size > budget["bytes"]:
            return
        writer = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644,
                         dir_fd=target)
        try:
            left = info.st_size
            while left > 0:
                sent = os.sendfile(writer, reader, None, left)
                if sent == 0:
                    break
                left -= sent
        finally:
            os.close(writer)
        budget["files"] -= 1
        budget["bytes"] -= info.st_size
    except OSError:
        return
    finally:
        os.close(reader)


def main(argv):
    if "--" not in argv or len(argv) < 5:
        raise SystemExit("usage: capped_folder.py BYTES FILES WORKDIR [NAME=BYTES ...] -- COMMAND...")
    (size, files, workdir, *reserved), command = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    parent = os.getppid()
    try:
        user_namespace = enter_namespace()
        # Set after unshare, which may clear it; a parent that died meanwhile ends this too.
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        if os.getppid() != parent:
            raise SystemExit(1)
        lower, top = mount_capped(workdir, int(size), int(files), user_namespace)
        for item in reserved:
            name, _, reserved_bytes = item.rpartition("=")
            reserve(workdir, name, int(reserved_bytes))
    except OSError as error:
        raise SystemExit(f"sandbox folder {workdir}: {error.strerror}") from None
    status = run(command)
    upper = os.open("upper", os.O_RDONLY | os.O_DIRECTORY, dir_fd=top)
    copy_back(upper, lower)
    if os.WIFSIGNALED(status):
        # End the same way, so that whoever waits for this process sees the signal.
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    raise SystemExit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main(sys.argv[1:])
