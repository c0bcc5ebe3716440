"""A bubblewrap sandbox for the kernels that run student notebooks.

Inside, a kernel sees its working folder (read-write), the Python installation
and the system libraries (read-only), a private /tmp, a minimal /dev and /proc,
and nothing else: no course files, no gradebook, no home folder, no network
(own network namespace: only its own loopback), no process outside its own pid
namespace. When the kernel's process ends, or the grader that started it dies,
every process of the sandbox is killed with it.

Limits (``Limits``) are applied inside with ``prlimit``: address space, CPU
time, largest file written, no core files. The number of processes and threads
is capped per sandbox:

- as an ordinary user, by RLIMIT_NPROC, which Linux (5.14 or newer) counts per
  user namespace, so only the sandbox's own processes count;
- as root, RLIMIT_NPROC is never enforced, so by a pids cgroup made for each
  sandbox (``kit-sandbox-<grader pid>-<n>``) and removed when it is released.

nbgrader talks to the sandboxed kernel over Unix sockets (jupyter_client's
``ipc`` transport) in a folder shared into the sandbox: TCP on loopback does not
cross the network namespace.

Use with nbclient::

    NotebookClient(nb, kernel_manager_class=SandboxedKernelManager,
                   resources={"metadata": {"path": working_folder}})

and with nbgrader autograde (nbgrader_config.py; ``utils`` must be importable by
nbgrader, e.g. PYTHONPATH set to the kit's root by whoever starts nbgrader)::

    from utils.engine.sandbox import sandboxed_autograde_preprocessors
    c.Autograde.autograde_preprocessors = sandboxed_autograde_preprocessors()
    c.SandboxedKernelManager.memory_bytes = 2 * 2**30   # any field of Limits

(``c.Execute.kernel_manager_class`` has no effect: nbgrader's Execute sets it
in its constructor. nbgrader only logs a config file that raises and then
grades without it, unsandboxed: whoever runs nbgrader must check that the file
loads.)

A cell that runs past the timeout is interrupted; a kernel that ignores the
interrupt (SIGINT handler replaced) is killed with its whole sandbox after
``interrupt_grace`` seconds and replaced by a fresh one, so the timed-out cell
gets nbgrader's CellTimeoutError and the later cells still run.
"""
import asyncio
import functools
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

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.session import Session
from traitlets import Bool, Float, Integer

from .. import KitError

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


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (each a positive integer)."""

    memory_bytes: int = 2 * GiB       # address space of each process
    cpu_seconds: int = 600            # CPU time of each process
    processes: int = 64               # processes and threads in the whole sandbox
    output_bytes: int = 64 * MiB      # largest file written; also the size of /tmp

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
    trial = subprocess.run(["bwrap", *_namespace_options(), *_system_binds(), *_python_binds(),
                            sys.executable, "-c", "pass"],
                           capture_output=True, text=True)
    if trial.returncode != 0:
        reason = (trial.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot make a sandbox here (user namespaces disabled?): {reason}"
    return None


def wrap_command(argv, workdir, limits=Limits(), shared=(), env=None):
    """The command line that runs argv inside a sandbox whose only writable folder is workdir.

    workdir (the command's working folder) and the folders in shared are bound
    read-write at their own paths. env is the environment the caller would have
    given argv (default os.environ); only harmless variables of it reach argv.
    Raises KitError when no sandbox can be made here (see sandbox_problem).
    """
    problem = sandbox_problem()
    if problem:
        raise KitError(problem)
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise KitError(f"sandbox working folder {workdir} does not exist")
    writable = [workdir, *(Path(path).resolve() for path in shared)]
    for folder in writable:
        # A writable folder around the Python installation would make it writable too.
        if any(Path(python) == folder or folder in Path(python).parents
               for python in _python_folders()) or folder == Path("/"):
            raise KitError(f"sandbox folder {folder} holds the Python installation: "
                           "give the submission's own folder")
    options = [*_namespace_options(), "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:
        options += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
    options += _system_binds()
    options += ["--size", str(limits.output_bytes), "--tmpfs", "/tmp",
                "--size", str(limits.output_bytes), "--tmpfs", "/dev/shm"]
    options += _python_binds()
    for folder in writable:
        options += ["--bind", str(folder), str(folder)]
    # Nothing but the bound folders, /tmp and /dev/shm is writable (no filling
    # memory through the sandbox's own root or /dev).
    options += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", str(workdir)]
    options += ["--clearenv"]
    for name, value in sorted(_sandbox_environment(env).items()):
        options += ["--setenv", name, value]
    limited = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={limits.processes}", f"--fsize={limits.output_bytes}", "--core=0",
               "--", *argv]
    command = ["bwrap", *options, "--", *limited]
    if os.geteuid() != 0:
        return command
    group = _make_pids_cgroup(limits.processes)
    # The shell joins the cgroup and becomes bwrap, so every process of the
    # sandbox starts inside it; if joining fails, nothing runs.
    return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group / "cgroup.procs"), *command]


def release_command(command):
    """Remove what wrap_command made for this command (its pids cgroup), once it has ended."""
    for part in command:
        if CGROUP_PREFIX in part and part.endswith("cgroup.procs"):
            _remove_cgroup(Path(part).parent)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in a sandbox (see wrap_command).

    The kernel's working folder (nbclient's ``cwd``, the notebook's folder) is
    the only folder it can write. An interrupt that the kernel does not obey
    within ``interrupt_grace`` seconds (a loop that ignores SIGINT) kills the
    whole sandbox and starts a fresh kernel, so that the notebook's remaining
    cells still run; ``hard_interrupts`` counts those restarts.
    """

    memory_bytes = Integer(Limits.memory_bytes, config=True, help="address space per process")
    cpu_seconds = Integer(Limits.cpu_seconds, config=True, help="CPU seconds per process")
    processes = Integer(Limits.processes, config=True, help="processes and threads per kernel")
    output_bytes = Integer(Limits.output_bytes, config=True, help="largest file a kernel writes")
    interrupt_grace = Float(5.0, config=True,
                            help="seconds an interrupted kernel has to answer before it is killed")

    _socket_folder = None
    _sandbox_command = None
    hard_interrupts = 0

    @property
    def limits(self):
        return Limits(self.memory_bytes, self.cpu_seconds, self.processes, self.output_bytes)

    async def _async_pre_start_kernel(self, **kw):
        # On a restart the same socket folder and connection file are kept, so
        # that connected clients reach the new kernel.
        if self._socket_folder is None:
            self._socket_folder = Path(tempfile.mkdtemp(prefix="kit-kernel-"))
            self.transport = "ipc"
            self.ip = str(self._socket_folder / "kernel")
            self.connection_file = str(self._socket_folder / "connection.json")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if not kw.get("cwd"):
            raise KitError("a sandboxed kernel needs a working folder (cwd)")
        self._sandbox_command = wrap_command(kernel_cmd, kw["cwd"], self.limits,
                                             shared=[self._socket_folder], env=kw.get("env"))
        return self._sandbox_command, kw

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


def sandboxed_autograde_preprocessors():
    """nbgrader's autograde preprocessors, with its Execute replaced by SandboxedExecute."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    if Execute not in default:
        raise KitError("nbgrader's autograde no longer runs notebooks with its Execute "
                       "preprocessor: the sandbox cannot be put in place")
    return [_sandboxed_execute() if preprocessor is Execute else preprocessor
            for preprocessor in default]


@functools.lru_cache(maxsize=None)
def _sandboxed_execute():
    from nbgrader.preprocessors import Execute

    class SandboxedExecute(Execute):
        """nbgrader's Execute with sandboxed kernels.

        Execute forces its kernel_manager_class through a constructor argument,
        which beats configuration, so the class is replaced here instead.
        """

        # A kernel killed for ignoring an interrupt never reports the end of its
        # cell on IOPub; waiting for it must not fail the whole submission.
        raise_on_iopub_timeout = Bool(False, help=Execute.raise_on_iopub_timeout.help).tag(
            config=True)

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
            super().__init__(*args, **kwargs)

    SandboxedExecute.__module__ = __name__
    return SandboxedExecute


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
    """bwrap options showing the Python installation read-only. They come after the private
    /tmp is mounted: a venv under /tmp would otherwise be hidden by it."""
    options = []
    for prefix in _python_folders():
        options += ["--ro-bind", prefix, prefix]
    return options


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
