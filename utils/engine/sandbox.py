"""A bubblewrap sandbox for the kernels that run student notebooks.

Inside, a kernel sees its working folder (read-write), the Python installation
and the system libraries (read-only), a private /tmp, a minimal /dev and /proc,
and nothing else: no course files, no gradebook, no home folder, no network
(own network namespace: only its own loopback), no process outside its own pid
namespace. When the kernel's process ends, or the grader that started it dies,
every process of the sandbox is killed with it.

Everything a sandbox can write (its working folder, /tmp, /dev/shm, its sockets)
lives in one tmpfs capped in bytes and in files (``capped_folder.py``): writes
past ``Limits.folder_bytes`` or ``Limits.folder_files`` fail inside the sandbox
with ENOSPC, the host's disk never sees them, and the working folder itself is
only read through an overlay. When the sandbox ends, the small files it wrote in
its working folder are copied back (at most 1,000 files, 16 MB); everything else
goes with it. This works the same as root and as an ordinary user (then in a user
namespace of its own, Linux 5.11 or newer).

Other limits (``Limits``) are applied inside with ``prlimit``: address space,
CPU time, largest file written, no core files. The number of processes and
threads is capped per sandbox:

- as an ordinary user, by RLIMIT_NPROC, which Linux (5.14 or newer) counts per
  user namespace, so only the sandbox's own processes count;
- as root, RLIMIT_NPROC is never enforced, so by a pids cgroup made for each
  sandbox (``kit-sandbox-<grader pid>-<n>``) and removed when it is released.

nbgrader talks to the sandboxed kernel over Unix sockets (jupyter_client's
``ipc`` transport): the kernel makes them in the capped folder, and the grader
reaches them through ``/proc/<pid>/root`` of the process that holds that folder
(TCP on loopback does not cross the network namespace). The grader takes no
message larger than ``message_bytes`` from a kernel and queues few, so a kernel
cannot grow the grader's memory by printing; the notebook keeps at most a few MB
of output (``output_caps.py``).

Use with nbclient::

    NotebookClient(nb, kernel_manager_class=SandboxedKernelManager,
                   resources={"metadata": {"path": working_folder}})

and with nbgrader autograde (the course's nbgrader_config.py does this; ``utils``
must be importable by nbgrader, as it is when nbgrader runs in the kit's folder)::

    c.Autograde.autograde_preprocessors = [... the names autograde_preprocessors() gives ...]
    c.SandboxedKernelManager.memory_bytes = 2 * 2**30   # any field of Limits

(``c.Execute.kernel_manager_class`` has no effect: nbgrader's Execute sets it
in its constructor, so the preprocessor itself is replaced.)

A cell that runs past the timeout is interrupted; a kernel that ignores the
interrupt (SIGINT handler replaced) is killed with its whole sandbox after
``interrupt_grace`` seconds and replaced by a fresh one, so the timed-out cell
gets nbgrader's CellTimeoutError and the later cells still run.
"""
import asyncio
import functools
import importlib.util
import itertools
import os
import platform
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.session import Session
from traitlets import Bool, Enum, Float, Integer, default

from .. import KitError
from . import capped_folder, stages

GiB = 2**30
MiB = 2**20

# The unprivileged uid the kernel runs as when the grader is root: it then has
# no capabilities, not even inside its own user namespace.
NOBODY = 65534

# Host files the kernel may need, read-only; everything else of /etc stays hidden.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
             "nsswitch.conf", "fonts")
# Environment variables passed into the sandbox as they are; all others are dropped
# (the grader's environment may hold tokens).
KEPT_VARIABLES = ("LANG", "LANGUAGE", "TZ", "PYTHONHASHSEED", "MPLBACKEND", "JPY_SESSION_NAME",
                  "PYDEVD_DISABLE_FILE_VALIDATION")
KEPT_PREFIXES = ("LC_", "NBGRADER_")
# One BLAS thread each: many threads multiply the address space a kernel reserves
# (and would count against the process limit on a many-core machine).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

CGROUP_PREFIX = "kit-sandbox-"
_group_numbers = itertools.count()

# The grader takes no larger message from a kernel (a larger one is dropped) and queues at most
# this many per socket: together they bound the memory a printing kernel can make it use.
MESSAGE_BYTES = 16 * MiB
QUEUED_MESSAGES = 8
# Packages of the installation a sandbox does not see. debugpy is JupyterLab's debugger: a
# kernel that finds it imports it at every start (0.2 s), and no student code needs it while
# grading (it would also let code open debugging listeners).
HIDDEN_PACKAGES = ("debugpy",)
# Modules a sandboxed kernel imports from the kit (nothing else of the kit is visible to it).
KERNEL_MODULES = Path(__file__).with_name("kernel_modules")
MODULES_MOUNT = "/kit"
KERNEL_OPTIONS = ["--IPKernelApp.outstream_class=chunked_stream.ChunkedOutStream"]
# A capped folder with less left than this was full: some write in it failed.
FULL_BYTES = 1 * MiB
FULL_FILES = 16


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (each a positive integer)."""

    memory_bytes: int = 2 * GiB       # address space of each process
    cpu_seconds: int = 600            # CPU time of each process
    processes: int = 64               # processes and threads in the whole sandbox
    output_bytes: int = 64 * MiB      # largest file written
    folder_bytes: int = 256 * MiB     # everything the sandbox writes (folder, /tmp, /dev/shm)
    folder_files: int = 10_000        # files and folders the sandbox can make

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise KitError(f"sandbox limit {field.name} must be a positive integer, "
                               f"not {value!r}")


@functools.lru_cache(maxsize=None)
def sandbox_problem():
    """None when a sandbox can be made on this machine, else the reason in one line."""
    if sys.platform != "linux":
        return f"sandboxing needs Linux with bubblewrap; this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    version = _bwrap_version()
    if version < (0, 8):
        found = ".".join(map(str, version)) or "an unknown version"
        return f"bubblewrap 0.8 or newer is needed (found {found}) for --disable-userns"
    if shutil.which("prlimit") is None:
        return "prlimit (util-linux) is not installed"
    if os.geteuid() == 0:
        if _pids_cgroup_parent() is None:
            return ("running as root and no writable pids cgroup: "
                    "the number of processes could not be capped")
    elif _kernel_version() < (5, 14):
        return (f"Linux {platform.release()} counts processes per user, not per sandbox; "
                "5.14 or newer is needed")
    with tempfile.TemporaryDirectory(prefix="kit-sandbox-trial-") as folder:
        trial = subprocess.run(_sandbox_argv([sys.executable, "-c", "pass"], Path(folder), Limits()),
                               capture_output=True, text=True)
    if trial.returncode != 0:
        reason = (trial.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot make a sandbox here (user namespaces disabled?): {reason}"
    return None


def wrap_command(argv, workdir, limits=Limits(), sockets=None, read_only=(), modules=None,
                 reserve=None, env=None):
    """The command line that runs argv inside a sandbox whose only writable space is a capped
    folder (capped_folder.py: limits.folder_bytes and limits.folder_files in all).

    workdir (the command's working folder) is shown read-write at its own path: reads see the
    real folder, writes go to the capped space, and the small files written there are copied
    back when argv ends. /tmp and /dev/shm are in the capped space too.
    sockets: a path at which the sandbox sees an empty folder of its capped space, for Unix
    sockets; the grader reaches it as socket_folder(pid, workdir), pid being the command's.
    read_only: host files or folders shown read-only at their own paths.
    modules: a host folder of modules argv may import, shown read-only as MODULES_MOUNT and
    put on PYTHONPATH.
    reserve: {file name: bytes} of files in workdir that argv writes its results to at the
    end: each is made empty with that much of the capped space set aside, so that code argv
    ran before cannot take it.
    env: the environment the caller would have given argv (default os.environ); only
    harmless variables of it reach argv.
    Raises KitError when no sandbox can be made here (see sandbox_problem).
    """
    problem = sandbox_problem()
    if problem:
        raise KitError(problem)
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise KitError(f"sandbox working folder {workdir} does not exist")
    # The folder is writable through an overlay; around the Python installation that would
    # let a sandbox change what it runs.
    if any(Path(python) == workdir or workdir in Path(python).parents
           for python in _python_folders()) or workdir == Path("/"):
        raise KitError(f"sandbox folder {workdir} holds the Python installation: "
                       "give the submission's own folder")
    for name in reserve or {}:
        if "/" in name or "=" in name or name in ("", ".", ".."):
            raise KitError(f"a reserved file is named in the working folder itself, not {name!r}")
    command = _sandbox_argv(argv, workdir, limits, sockets, read_only, modules, reserve, env)
    if os.geteuid() != 0:
        return command
    group = _make_pids_cgroup(limits.processes)
    # The shell joins the cgroup and becomes the sandbox's first process, so every process of
    # the sandbox starts inside it; if joining fails, nothing runs.
    return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group / "cgroup.procs"), *command]


def _sandbox_argv(argv, workdir, limits, sockets=None, read_only=(), modules=None, reserve=None,
                  env=None):
    """capped_folder.py starting bwrap starting prlimit starting argv (see wrap_command).

    In capped_folder's namespace the capped tmpfs is mounted on workdir, laid out as
    capped_folder.LAYOUT: bwrap binds its parts to where the sandbox sees them.
    """
    options = [*_namespace_options(), "--new-session", "--hostname", "sandbox"]
    # bwrap runs as root in capped_folder's namespace; the sandbox's own user is nobody when
    # the grader is root, else the grader's user. Either way it has no capabilities.
    uid, gid = (NOBODY, NOBODY) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    options += ["--uid", str(uid), "--gid", str(gid)]
    options += _system_binds()
    options += ["--bind", str(workdir / capped_folder.TMP), "/tmp",
                "--bind", str(workdir / capped_folder.SHM), "/dev/shm"]
    options += _python_binds()
    options += ["--bind", str(workdir / capped_folder.MERGED), str(workdir)]
    if sockets is not None:
        options += ["--bind", str(workdir / capped_folder.SOCKETS), str(sockets)]
    for path in read_only:
        options += ["--ro-bind", str(Path(path).resolve()), str(Path(path).resolve())]
    if modules is not None:
        options += ["--ro-bind", str(Path(modules).resolve()), MODULES_MOUNT]
    # Nothing but the capped space is writable (no filling memory through the sandbox's own
    # root or /dev).
    options += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", str(workdir)]
    options += ["--clearenv"]
    environment = _sandbox_environment(env)
    if modules is not None:
        environment["PYTHONPATH"] = MODULES_MOUNT
    for name, value in sorted(environment.items()):
        options += ["--setenv", name, value]
    limited = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={limits.processes}", f"--fsize={limits.output_bytes}", "--core=0",
               "--", *argv]
    reserved = [f"{name}={size}" for name, size in (reserve or {}).items()]
    return [sys.executable, "-I", "-S", capped_folder.__file__, str(limits.folder_bytes),
            str(limits.folder_files), str(workdir), *reserved, "--", "bwrap", *options, "--", *limited]


def release_command(command):
    """Remove what wrap_command made for this command (its pids cgroup), once it has ended."""
    for part in command:
        if CGROUP_PREFIX in part and part.endswith("cgroup.procs"):
            _remove_cgroup(Path(part).parent)


def socket_folder(pid, workdir):
    """The host's path to the sockets folder of the sandbox started as process pid."""
    return Path(f"/proc/{pid}/root{Path(workdir).resolve()}") / capped_folder.SOCKETS


def full_caps(pid, workdir):
    """Which caps of its capped folder the sandbox started as process pid has reached: a set of
    "bytes" and "files" (empty when it is not running)."""
    workdir = Path(workdir).resolve()
    inside = Path(f"/proc/{pid}/root{workdir}")
    try:
        if os.stat(inside).st_dev == os.stat(workdir).st_dev:
            return set()  # the capped folder is not (or no longer) mounted there
        info = os.statvfs(inside)
    except OSError:
        return set()
    return ({"bytes"} if info.f_bavail * info.f_frsize < FULL_BYTES else set()) | \
        ({"files"} if info.f_favail < FULL_FILES else set())


class SandboxedKernelClient(AsyncKernelClient):
    """A kernel client that takes no message over its manager's message_bytes from the kernel
    and queues only a few: a larger message ends that connection (libzmq drops a peer that
    breaks its limits), so later output of that kernel is lost, never the grader's memory."""

    @default("context")
    def _context_default(self):
        context = super()._context_default()
        _cap_messages(context, getattr(self.parent, "message_bytes", MESSAGE_BYTES))
        return context


def _cap_messages(context, message_bytes):
    # Context options apply to every socket made from it afterwards.
    context.setsockopt(zmq.MAXMSGSIZE, message_bytes)
    context.setsockopt(zmq.RCVHWM, QUEUED_MESSAGES)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in a sandbox (see wrap_command).

    The kernel's working folder (nbclient's ``cwd``, the notebook's folder) is
    the only folder it can write, within the capped folder's limits. An interrupt
    that the kernel does not obey within ``interrupt_grace`` seconds (a loop that
    ignores SIGINT) kills the whole sandbox and starts a fresh kernel, so that the
    notebook's remaining cells still run; ``hard_interrupts`` counts those
    restarts. ``full`` collects the caps of the capped folder that were reached
    ("bytes", "files"), as seen before each kernel was stopped.
    """

    memory_bytes = Integer(Limits.memory_bytes, config=True, help="address space per process")
    cpu_seconds = Integer(Limits.cpu_seconds, config=True, help="CPU seconds per process")
    processes = Integer(Limits.processes, config=True, help="processes and threads per kernel")
    output_bytes = Integer(Limits.output_bytes, config=True, help="largest file a kernel writes")
    folder_bytes = Integer(Limits.folder_bytes, config=True,
                           help="bytes a kernel can write in all (its folder, /tmp, /dev/shm)")
    folder_files = Integer(Limits.folder_files, config=True,
                           help="files and folders a kernel can make in all")
    message_bytes = Integer(MESSAGE_BYTES, config=True,
                            help="largest message taken from a kernel; larger ones are dropped")
    interrupt_grace = Float(5.0, config=True,
                            help="seconds an interrupted kernel has to answer before it is killed")

    _socket_folder = None
    _sandbox_command = None
    _workdir = None
    hard_interrupts = 0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.full = set()

    @property
    def limits(self):
        return Limits(self.memory_bytes, self.cpu_seconds, self.processes, self.output_bytes,
                      self.folder_bytes, self.folder_files)

    @default("client_factory")
    def _client_factory_default(self):
        return SandboxedKernelClient

    @default("context")
    def _context_default(self):
        context = super()._context_default()
        _cap_messages(context, self.message_bytes)
        return context

    async def _async_pre_start_kernel(self, **kw):
        # On a restart the same socket folder, connection file and socket paths are kept, so
        # that connected clients reach the new kernel: the link "live" is pointed at it.
        if self._socket_folder is None:
            self._socket_folder = Path(tempfile.mkdtemp(prefix="kit-kernel-"))
            self.transport = "ipc"
            self.ip = str(self._socket_folder / "live" / "kernel")
            self.connection_file = str(self._socket_folder / "connection.json")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if not kw.get("cwd"):
            raise KitError("a sandboxed kernel needs a working folder (cwd)")
        if any("ipykernel" in part for part in kernel_cmd):
            kernel_cmd = [*kernel_cmd, *KERNEL_OPTIONS]
        try:
            self._sandbox_command = wrap_command(
                kernel_cmd, kw["cwd"], self.limits, sockets=self._socket_folder / "live",
                read_only=[self.connection_file], modules=KERNEL_MODULES, env=kw.get("env"))
        except KitError as error:
            raise KitError(f"cannot sandbox student code here: {error}; nbgrader will not run it "
                           "unsandboxed (python -m utils grade --no-sandbox grades trusted "
                           "notebooks without it)") from None
        self._workdir = Path(kw["cwd"]).resolve()
        return self._sandbox_command, kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        link = self._socket_folder / "live"
        fresh = link.with_name("live.new")
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(socket_folder(self.provisioner.pid, self._workdir))
        os.replace(fresh, link)

    def _note_usage(self):
        """Remember which caps of the running kernel's folder were reached."""
        if self.provisioner is None or not self.provisioner.has_process or self._workdir is None:
            return
        self.full |= full_caps(self.provisioner.pid, self._workdir)

    async def _async_shutdown_kernel(self, now=False, restart=False):
        self._note_usage()
        await super()._async_shutdown_kernel(now=now, restart=restart)

    shutdown_kernel = _async_shutdown_kernel

    async def _async_interrupt_kernel(self):
        if self.shutting_down or not self.has_kernel:
            # Shutting down kills the whole sandbox anyway.
            return
        # By message: ipykernel then signals itself inside the sandbox (a SIGINT
        # to the process group outside would end bwrap, and the sandbox with it).
        self._connect_control_socket()
        self.session.send(self._control_socket, self.session.msg("interrupt_request", content={}))
        if not await self._answers_within(self.interrupt_grace):
            self.log.warning("Kernel ignored the interrupt for %ss: killing its sandbox",
                             self.interrupt_grace)
            self.hard_interrupts += 1
            await self._async_restart_kernel(now=True)

    interrupt_kernel = _async_interrupt_kernel

    async def _answers_within(self, seconds):
        """Whether the kernel answers kernel_info within seconds (its main loop is free)."""
        # A session of its own: a second socket with the session's identity would
        # take over the replies meant for the notebook's client.
        session = Session(key=self.session.key, signature_scheme=self.session.signature_scheme)
        client = self.client(session=session)
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            request = client.kernel_info()
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                try:
                    reply = await client.get_shell_msg(timeout=left)
                except (queue.Empty, asyncio.TimeoutError):
                    return False
                if reply["parent_header"].get("msg_id") == request:
                    return True
            return False
        finally:
            client.stop_channels()

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if self._sandbox_command is not None:
            release_command(self._sandbox_command)
            self._sandbox_command = None
        if not restart and self._socket_folder is not None:
            shutil.rmtree(self._socket_folder, ignore_errors=True)
            self._socket_folder = None

    cleanup_resources = _async_cleanup_resources


# nbgrader's autograde preprocessors (nbgrader.converters.autograde.Autograde), by name, in
# order; EXECUTE is the one that runs the notebook. Names, so that a config file can give them
# without importing nbgrader (nbconvert imports each when autograde starts).
NBGRADER_AUTOGRADE = ("nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
                      "nbconvert.preprocessors.ClearMetadataPreprocessor",
                      "nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades",
                      "nbgrader.preprocessors.AssignLatePenalties",
                      "nbgrader.preprocessors.CheckCellMetadata")
EXECUTE = NBGRADER_AUTOGRADE[0]


def autograde_preprocessors(sandboxed=True):
    """The names for ``c.Autograde.autograde_preprocessors``: nbgrader's own, with its Execute
    replaced by SandboxedExecute (sandboxed kernels, capped output) or, for trusted notebooks,
    CappedExecute (capped output only)."""
    replacement = f"{__name__}.{'SandboxedExecute' if sandboxed else 'CappedExecute'}"
    return [replacement if name == EXECUTE else name for name in NBGRADER_AUTOGRADE]


def __getattr__(name):
    # The Execute subclasses are made when nbgrader asks for them: importing nbgrader takes
    # seconds, and most users of this module never need it.
    if name in ("SandboxedExecute", "CappedExecute"):
        return _execute_classes()[name]
    raise AttributeError(f"module {__name__} has no attribute {name}")


@functools.lru_cache(maxsize=None)
def _execute_classes():
    from traitlets.utils.importstring import import_item
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute

    from .output_caps import CappedOutputs

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    if default != [import_item(name) for name in NBGRADER_AUTOGRADE]:
        raise KitError("nbgrader's autograde preprocessors are not the ones the kit replaces "
                       f"({', '.join(NBGRADER_AUTOGRADE)}): the sandbox cannot be put in place")

    class CappedExecute(CappedOutputs, Execute):
        """nbgrader's Execute keeping at most a few MB of each notebook's output. While
        nbgrader grades (its resources name the notebook), a notebook without graded cells is
        left as it was handed in unless the course asks for it (``c.Grading.execute_ungraded =
        True``): running it would earn no points. The time
        its kernel takes to start and its cells to run count as stages of the submission
        (utils/engine/stages.py)."""

        # A kernel whose output connection was dropped (a message over the size limit), or
        # that was killed for ignoring an interrupt, never reports the end of its cell on
        # IOPub; waiting for it must not fail the whole submission.
        raise_on_iopub_timeout = Bool(False, help=Execute.raise_on_iopub_timeout.help).tag(
            config=True)
        # A grading kernel is thrown away once its notebook has run: stopping it at once saves
        # the third of a second a polite shutdown takes (its exit hooks, waiting for its end),
        # and no exit hook of student code runs while grading.
        shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                               help=Execute.shutdown_kernel.help).tag(config=True)

        def preprocess(self, nb, resources=None, km=None):
            grading = (resources or {}).get("nbgrader", {}).get("notebook")
            asked = self.config.Grading.get("execute_ungraded", False)
            if grading and not asked and not has_graded_cells(nb):
                self.log.info("Not running %s: it has no graded cells (c.Grading.execute_ungraded)",
                              grading)
                return nb, resources
            with stages.stage("cell execution", inner=("kernel start",)):
                return super().preprocess(nb, resources, km)

        # nbclient's setup_kernel calls the synchronous wrappers of the base class's methods.
        def start_new_kernel(self, **kwargs):
            with stages.stage("kernel start"):
                return super().start_new_kernel(**kwargs)

        def start_new_kernel_client(self):
            with stages.stage("kernel start"):
                return super().start_new_kernel_client()

    class SandboxedExecute(CappedExecute):
        """CappedExecute with sandboxed kernels.

        Execute forces its kernel_manager_class through a constructor argument,
        which beats configuration, so the class is replaced here instead.
        """

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
            super().__init__(*args, **kwargs)

        def create_kernel_manager(self):
            self.managers.append(super().create_kernel_manager())
            return self.managers[-1]

        def grading_notes(self):
            notes = super().grading_notes()
            full = set().union(*(manager.full for manager in self.managers))
            if "bytes" in full:
                notes.append(f"the notebook filled the {self.managers[0].folder_bytes // MiB} MB "
                             "it may write: later writes failed (No space left on device)")
            if "files" in full:
                notes.append(f"the notebook made the {self.managers[0].folder_files:,} files it "
                             "may make: later ones failed (No space left on device)")
            return notes

        def preprocess(self, nb, resources=None, km=None):
            self.managers = []
            return super().preprocess(nb, resources, km)

    for made in (CappedExecute, SandboxedExecute):
        made.__module__ = __name__
    return {"CappedExecute": CappedExecute, "SandboxedExecute": SandboxedExecute}


def has_graded_cells(notebook):
    """Whether any cell of the notebook is graded (nbgrader's grade flag, as autograde restored
    it from the gradebook)."""
    return any(cell.get("metadata", {}).get("nbgrader", {}).get("grade") for cell in notebook.cells)


def _namespace_options():
    # --unshare-all: user, pid, network, ipc, uts and cgroup namespaces.
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"]


def _system_binds():
    """bwrap options showing the system and the Python installation read-only, and /proc, /dev."""
    options = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            options += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            options += ["--ro-bind", str(host), str(host)]
    for name in ETC_FILES:
        options += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return options + ["--proc", "/proc", "--dev", "/dev"]


def _python_binds():
    """bwrap options showing the Python installation read-only, without HIDDEN_PACKAGES (an
    empty read-only folder in their place). They come after the private /tmp is mounted: a venv
    under /tmp would otherwise be hidden by it."""
    options = []
    for prefix in _python_folders():
        options += ["--ro-bind", prefix, prefix]
    for folder in _hidden_package_folders():
        options += ["--tmpfs", folder, "--remount-ro", folder]
    return options


@functools.lru_cache(maxsize=None)
def _hidden_package_folders():
    """The folders of HIDDEN_PACKAGES in this installation (found, not imported)."""
    folders = []
    for name in HIDDEN_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders += [str(Path(folder).resolve()) for folder in spec.submodule_search_locations]
    return folders


def _python_folders():
    """The folders of the running Python and its venv (not the repository holding the venv)."""
    folders = set()
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        for path in (Path(prefix).absolute(), Path(prefix).resolve()):
            if path.parts[1:2] != ("usr",):
                folders.add(str(path))
    # Parents first, so that a venv inside another installation is bound on top of it.
    return sorted(folders, key=lambda folder: folder.count("/"))


def _sandbox_environment(env):
    env = os.environ if env is None else env
    kept = {name: value for name, value in env.items()
            if name in KEPT_VARIABLES or name.startswith(KEPT_PREFIXES)}
    for name in THREAD_VARIABLES:
        kept[name] = env.get(name, "1")
    kept.update({
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin",
                                 "/bin"]),
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        # The grader's pid means nothing in the sandbox's pid namespace, where the
        # kernel's parent is pid 1: ipykernel would take that for an orphaned kernel
        # and exit. 1 turns its parent watch off (bwrap does that job) and keeps its
        # connection banner off the grader's terminal.
        "JPY_PARENT_PID": "1",
    })
    return kept


def _bwrap_version():
    """bwrap's version as a tuple of numbers, e.g. (0, 8, 0); () when it does not say."""
    answer = subprocess.run(["bwrap", "--version"], capture_output=True, text=True).stdout
    words = answer.split()
    numbers = words[-1].split(".") if words else []
    return tuple(int(number) for number in numbers) if all(map(str.isdigit, numbers)) else ()


def _kernel_version():
    numbers = []
    for part in platform.release().split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, part))
        numbers.append(int(digits or 0))
    return tuple(numbers)


@functools.lru_cache(maxsize=None)
def _pids_cgroup_parent():
    """A cgroup folder where this process can make pids cgroups (cgroup v1 or v2), or None."""
    candidates = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mount, _, filesystem = line.partition(" - ")
        mount_point = Path(mount.split()[4])
        kind, _, options = (filesystem.split() + ["", "", ""])[:3]
        if kind == "cgroup" and "pids" in options.split(","):
            candidates.append(mount_point)
        elif kind == "cgroup2":
            controllers = mount_point / "cgroup.subtree_control"
            if controllers.is_file() and "pids" in controllers.read_text().split():
                candidates.append(mount_point)
    for parent in candidates:
        probe = parent / f"{CGROUP_PREFIX}probe-{os.getpid()}"
        try:
            probe.mkdir()
            ok = (probe / "pids.max").is_file()
            probe.rmdir()
        except OSError:
            continue
        if ok:
            return parent
    return None


def _make_pids_cgroup(processes):
    parent = _pids_cgroup_parent()
    _remove_stale_cgroups(parent)
    group = parent / f"{CGROUP_PREFIX}{os.getpid()}-{next(_group_numbers)}"
    group.mkdir()
    (group / "pids.max").write_text(str(processes))
    return group


def _remove_stale_cgroups(parent):
    """Remove the sandbox cgroups of graders that are no longer running.

    Anything still inside one is killed first: a grader killed in the moment between starting
    a sandbox and bwrap tying itself to its parent leaves that sandbox running on its own.
    """
    for group in parent.glob(f"{CGROUP_PREFIX}*"):
        grader = group.name[len(CGROUP_PREFIX):].split("-")[0]
        if grader.isdigit() and not Path(f"/proc/{grader}").exists():
            try:
                members = (group / "cgroup.procs").read_text().split()
            except OSError:
                members = []
            for pid in members:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            _remove_cgroup(group, attempts=20 if members else 1)


def _remove_cgroup(group, attempts=20):
    # Killed processes leave the cgroup a moment after their parent has seen them end.
    for _ in range(attempts):
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)
