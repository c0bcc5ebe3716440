"""Hostile code in a sandboxed kernel (utils/engine/sandbox.py) cannot reach the course or outlive it.

Every test runs real kernels in real bubblewrap sandboxes, against a scratch
course laid out as nbgrader's (source/, release/, gradebook.db, autograded/).
"""
import ast
import contextlib
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from traitlets.config import Config

from utils import ROOT, KitError
from utils.engine.assignment import nbgrader_env
from utils.engine.sandbox import (Limits, SandboxedKernelManager, release_command, sandbox_problem,
                           wrap_command)

pytestmark = pytest.mark.slow

PROCESS_LIMIT = 24


def write_course(root):
    """A scratch course: instructor's files, two students' graded folders; returns s1's folder."""
    files = {
        "source/ps1/ps1.ipynb": '{"hidden": "assert answer == 42  # SECRET"}',
        "source/ps1/helper.py": "VALUE = 1\n",
        "release/ps1/ps1.ipynb": '{"released": true}',
        "autograded/s2/ps1/ps1.ipynb": '{"other": "student"}',
        "autograded/s1/ps1/ps1.ipynb": '{"mine": true}',
        "nbgrader_config.py": "c = get_config()\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    with contextlib.closing(sqlite3.connect(root / "gradebook.db")) as gradebook:
        gradebook.execute("CREATE TABLE source_cell (name TEXT, source TEXT)")
        gradebook.execute("INSERT INTO source_cell VALUES ('hidden', 'assert answer == 42')")
        gradebook.commit()
    return root / "autograded" / "s1" / "ps1"


def course_files(root):
    """The course's files but those of the graded student's own folder."""
    own = root / "autograded" / "s1"
    return [path for path in root.rglob("*") if path.is_file() and own not in path.parents]


def protected_files(root):
    """The files student code must neither read nor change: the course's and the kit's."""
    return course_files(root) + [ROOT / "nbgrader_config.py", ROOT / "utils" / "engine" / "sandbox.py"]


def digests(paths):
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def processes_with(text):
    """Host pids whose command line contains text."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in command and entry.name != str(os.getpid()):
                found.append(int(entry.name))
    return found


class Kernel:
    """A running sandboxed kernel; run(code) executes one cell and returns its text output."""

    def __init__(self, workdir, timeout=60, **traits):
        self.notebook = nbformat.v4.new_notebook()
        # As in nbgrader: the client makes the manager (from configuration), shuts
        # its kernel down when done, and interrupts a cell that runs too long.
        self.client = NotebookClient(
            self.notebook, kernel_name="python3", kernel_manager_class=SandboxedKernelManager,
            config=Config(SandboxedKernelManager=traits), timeout=timeout, allow_errors=True,
            interrupt_on_timeout=True, resources={"metadata": {"path": str(workdir)}},
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "", "traceback": []})

    def run(self, code):
        cell = nbformat.v4.new_code_cell(textwrap.dedent(code))
        self.notebook.cells.append(cell)
        self.client.execute_cell(cell, len(self.notebook.cells) - 1)
        return "".join(output.get("text", "") or f"{output.get('ename')}\n"
                       for output in cell.outputs)

    def value(self, code):
        """The Python value printed by the cell's last line."""
        return ast.literal_eval(self.run(code).strip().splitlines()[-1])


@contextlib.contextmanager
def sandboxed_kernel(workdir, **options):
    kernel = Kernel(workdir, **options)
    with kernel.client.setup_kernel():
        kernel.manager = kernel.client.km
        yield kernel


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    workdir = write_course(root)
    before = digests(course_files(root))
    yield root, workdir
    assert digests(course_files(root)) == before, "student code changed a course file"


@pytest.fixture(scope="module")
def kernel(course):
    with sandboxed_kernel(course[1], processes=PROCESS_LIMIT) as running:
        yield running


def test_a_sandbox_can_be_made_here():
    # The kit's CI installs bubblewrap; a failure here names what is missing.
    assert sandbox_problem() is None


def test_without_bubblewrap_the_reason_is_given_in_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c",
         "from utils.engine.sandbox import sandbox_problem; print(sandbox_problem())"],
        cwd=ROOT, env={"PATH": str(tmp_path)}, capture_output=True, text=True)
    assert done.stdout == \
        "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)\n"


def test_course_files_cannot_be_read(kernel, course):
    root, _ = course
    targets = [str(path) for path in protected_files(root)] + ["/etc/shadow", "/root/.bashrc"]
    outcomes = kernel.value(f"""
        outcomes = {{}}
        for path in {targets!r}:
            try:
                with open(path, "rb") as file:
                    outcomes[path] = file.read(20)
            except OSError as error:
                outcomes[path] = type(error).__name__
        print(outcomes)
    """)
    leaked = {path: outcome for path, outcome in outcomes.items() if isinstance(outcome, bytes)}
    assert not leaked
    relative = kernel.value("""
        import os
        print([os.path.exists(p) for p in ("../../../source", "../../../gradebook.db", "../../s2")])
    """)
    assert relative == [False, False, False]


def test_course_files_cannot_be_changed(kernel, course):
    root, _ = course
    targets = [str(path) for path in protected_files(root)]
    outcomes = kernel.value(f"""
        import os
        outcomes = {{}}
        for path in {targets!r}:
            try:
                with open(path, "ab") as file:
                    file.write(b"# changed by student code")
                outcomes[path] = "appended"
            except OSError as error:
                outcomes[path] = type(error).__name__
        for path in ({str(root / "planted.py")!r}, {str(Path(sys.prefix) / "lib" / "planted.py")!r}):
            try:
                open(path, "w").close()
                outcomes[path] = "created"
            except OSError as error:
                outcomes[path] = type(error).__name__
        print(outcomes)
    """)
    # A write either fails or lands in the sandbox's private /tmp (the scratch
    # course lives under the host's /tmp): the host's files never see it.
    # The kit's folder is visible (read-only) only when it holds the Python installation.
    if not ROOT.is_relative_to("/tmp"):
        hidden = "FileNotFoundError" if not Path(sys.prefix).is_relative_to(ROOT) else "PermissionError"
        assert outcomes[str(ROOT / "nbgrader_config.py")] in (hidden, "OSError")
    assert set(outcomes.values()) <= {"FileNotFoundError", "PermissionError", "OSError",
                                      "appended", "created"}, outcomes
    for target in targets:
        assert b"changed by student code" not in Path(target).read_bytes()
    assert not (root / "planted.py").exists()
    assert not (Path(sys.prefix) / "lib" / "planted.py").exists()
    # The module fixture also compares every protected file's hash after the last test.


def test_own_folder_is_writable_and_its_small_files_come_back(tmp_path):
    (tmp_path / "given.txt").write_text("handed in")
    with sandboxed_kernel(tmp_path) as kernel:
        working_folder = kernel.value(
            "import os\nopen('answer.txt', 'w').write('42')\n"
            "open('given.txt', 'a').write(', changed')\nprint(repr(os.getcwd()))")
        # While the kernel runs its writes stay in its capped folder.
        assert not (tmp_path / "answer.txt").exists()
        assert (tmp_path / "given.txt").read_text() == "handed in"
    assert working_folder == str(tmp_path)
    assert (tmp_path / "answer.txt").read_text() == "42"
    assert (tmp_path / "given.txt").read_text() == "handed in, changed"


def test_only_the_python_installation_is_visible(tmp_path):
    """Of the repository, the sandbox shows only the venv inside it (read-only). A fresh
    sandbox: writes of earlier tests may have landed in the shared kernel's private /tmp."""
    with sandboxed_kernel(tmp_path) as kernel:
        listing = kernel.value(f"""
            import os
            print({{folder: sorted(os.listdir(folder)) for folder in ("/", {str(ROOT)!r})}})
        """)
    assert listing[str(ROOT)] == [Path(sys.prefix).name]
    top = ROOT.parts[1]
    assert set(listing["/"]) <= {"bin", "dev", "etc", "kit", "lib", "lib32", "lib64", "libx32",
                                 "proc", "root", "sbin", "tmp", "usr", top}


def test_the_kernel_starts_without_the_debugger_and_cannot_import_it(kernel):
    """debugpy (JupyterLab's debugger) is hidden: the kernel neither loads it at its start nor
    can student code import it."""
    found = kernel.value("import sys\nprint(sorted(m for m in sys.modules if 'debugpy' in m or 'pydevd' in m))")
    assert found in ([], ["debugpy"])   # at most the empty folder in its place, as a namespace
    assert "ModuleNotFoundError" in kernel.run("from debugpy.server import api")
    assert kernel.value("import ipykernel.debugger\nprint(ipykernel.debugger._is_debugpy_available)") is False


def test_the_kernel_has_no_privileges(kernel):
    status = kernel.run("print(open('/proc/self/status').read())")
    effective = [line.split()[1] for line in status.splitlines() if line.startswith("CapEff")]
    assert effective == ["0000000000000000"]
    assert kernel.value("import os\nprint(os.getuid() != 0)")


def test_no_network_to_the_hosts_loopback(kernel):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        outcome = kernel.value(f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
                print(repr("connected"))
            except OSError as error:
                print(repr(type(error).__name__))
        """)
        with pytest.raises(socket.timeout):
            server.accept()
    assert outcome in ("ConnectionRefusedError", "TimeoutError", "OSError")


def test_allocating_6_gb_fails_inside_the_kernel(kernel):
    output = kernel.run("""
        import numpy as np
        big = np.ones(6 * 10**9 // 8)
    """)
    assert "MemoryError" in output
    assert kernel.value("print(1 + 1)") == 2


def test_a_fork_bomb_is_capped_and_its_processes_stopped(kernel):
    forked, error = kernel.value("""
        import os, time
        children, error = [], None
        try:
            for _ in range(500):
                pid = os.fork()
                if pid == 0:
                    time.sleep(600)
                    os._exit(0)
                children.append(pid)
        except OSError as failure:
            error = type(failure).__name__
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        print((len(children), error))
    """)
    assert error == "BlockingIOError" and 0 < forked < PROCESS_LIMIT
    assert subprocess.run(["true"]).returncode == 0


def test_a_detached_process_dies_with_its_kernel(course, tmp_path):
    workdir = tmp_path / "ps1"
    workdir.mkdir()
    # The daemon writes its file 8 s after it starts, unless it is killed before: long enough
    # for the kernel to shut down even on a busy machine.
    with sandboxed_kernel(workdir) as kernel:
        kernel.run("""
            import os, subprocess
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv("/bin/sh", ["sh", "-c",
                             "sleep 8; echo escaped > daemon.txt; exec sleep 4321.5"])
                os._exit(0)
            subprocess.Popen(["nohup", "sleep", "4321.5"], start_new_session=True)
        """)
        started = time.monotonic()
        while len(processes_with("4321.5")) < 2 and time.monotonic() < started + 10:
            time.sleep(0.1)
        assert len(processes_with("4321.5")) == 2, "the detached processes did not start"
    assert processes_with("4321.5") == []
    shut_down = time.monotonic() - started
    time.sleep(max(0.0, 9 - shut_down))
    assert shut_down < 8, f"the kernel took {shut_down:.1f} s to shut down: the check proves nothing"
    assert not (workdir / "daemon.txt").exists()


def test_a_loop_that_ignores_interrupts_is_killed_and_grading_goes_on(tmp_path):
    with sandboxed_kernel(tmp_path, timeout=3, interrupt_grace=2) as kernel:
        folder = str(kernel.manager._socket_folder)
        kernel.run("marker = 1")
        kernel.run("""
            import signal
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            while True:
                pass
        """)
        after = kernel.run("print('still grading', 'marker' in dir())")
        assert kernel.manager.hard_interrupts == 1
    # A fresh kernel ran the next cell: the looping one was killed with its sandbox.
    assert after == "still grading False\n"
    assert processes_with(folder) == []


def test_an_ordinary_endless_loop_is_interrupted_and_the_kernel_kept(tmp_path):
    with sandboxed_kernel(tmp_path, timeout=3) as kernel:
        kernel.run("marker = 1")
        output = kernel.run("while True:\n    pass")
        after = kernel.run("print('marker' in dir())")
        assert kernel.manager.hard_interrupts == 0
    assert "KeyboardInterrupt" in output and after == "True\n"


def test_the_kernels_cgroup_and_socket_folder_are_removed(tmp_path):
    with sandboxed_kernel(tmp_path) as kernel:
        kernel.run("pass")
        command = kernel.manager._sandbox_command
        sockets = kernel.manager._socket_folder
        assert sockets.is_dir()
    groups = [Path(part).parent for part in command if part.endswith("cgroup.procs")]
    assert len(groups) == (1 if os.geteuid() == 0 else 0)
    assert not any(group.exists() for group in groups) and not sockets.exists()


def test_limits_reject_bad_values():
    with pytest.raises(KitError, match="memory_bytes must be a positive integer"):
        Limits(memory_bytes=0)
    with pytest.raises(KitError, match="does not exist"):
        wrap_command(["true"], "/no/such/folder")
    with pytest.raises(KitError, match="holds the Python installation"):
        wrap_command(["true"], Path(sys.prefix).parent)


def test_wrapped_command_runs_with_the_limits(tmp_path):
    limits = Limits(memory_bytes=3 * 2**30, cpu_seconds=77, processes=33, output_bytes=2**20)
    probe = ("import resource as r; print([r.getrlimit(getattr(r, 'RLIMIT_' + n))[0] "
             "for n in ('AS', 'CPU', 'NPROC', 'FSIZE')])")
    probe_command = wrap_command([sys.executable, "-c", probe], tmp_path, limits)
    done = subprocess.run(probe_command, capture_output=True, text=True)
    release_command(probe_command)
    assert done.stdout.strip() == str([3 * 2**30, 77, 33, 2**20]), done.stderr
    writer = wrap_command([sys.executable, "-c", "open('big', 'wb').write(bytes(2**21))"],
                          tmp_path, limits)
    big_file = subprocess.run(writer, capture_output=True, text=True)
    release_command(writer)
    assert big_file.returncode != 0 and "File too large" in big_file.stderr
    assert (tmp_path / "big").stat().st_size <= 2**20


def run_wrapped(code, workdir, limits, **options):
    """Run Python code in a sandbox on workdir; the finished process."""
    command = wrap_command([sys.executable, "-c", textwrap.dedent(code)], workdir, limits, **options)
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        release_command(command)


def test_everything_a_sandbox_writes_shares_one_capped_folder(tmp_path):
    limits = Limits(folder_bytes=8 * 2**20, folder_files=200)
    done = run_wrapped("""
        def fill(path, size):
            try:
                with open(path, "wb") as f:
                    f.write(bytes(size))
                return "ok"
            except OSError as error:
                return error.strerror
        print(fill("/tmp/a", 5 * 2**20), fill("/dev/shm/b", 2 * 2**20), fill("c", 2 * 2**20), fill("/tmp/d", 1))
        made = 0
        try:
            while True:
                open(f"/tmp/f{made}", "w").close()
                made += 1
        except OSError as error:
            print(made, error.strerror)
    """, tmp_path, limits)
    lines = done.stdout.splitlines()
    # 8 MiB for /tmp, /dev/shm and the folder together; then 200 files (and a few the sandbox
    # itself uses).
    assert lines[0] == "ok ok No space left on device No space left on device", done.stderr
    made, error = lines[1].split(" ", 1)
    assert 150 < int(made) <= 200 + 64 and error == "No space left on device"
    # The host's disk saw none of it but what comes back to the folder: the partly written c.
    assert os.listdir(tmp_path) == ["c"] and (tmp_path / "c").stat().st_size < 2 * 2**20


def test_only_small_plain_files_come_back_from_a_sandbox(tmp_path):
    done = run_wrapped("""
        import os
        for i in range(1500):
            with open(f"small{i:04}", "w") as f:
                f.write("x")
        with open("big", "wb") as f:
            f.write(bytes(17 * 2**20))
        os.symlink("/etc/shadow", "link")
        os.mkfifo("pipe")
        os.makedirs("sub/deeper")
        with open("sub/deeper/file", "w") as f:
            f.write("deep")
    """, tmp_path, Limits(folder_bytes=64 * 2**20, folder_files=3000))
    assert done.returncode == 0, done.stderr
    names = sorted(os.listdir(tmp_path))
    # At most 1,000 files and 16 MiB, plain files first: no link, no FIFO, not the 17 MiB file.
    assert names == [f"small{i:04}" for i in range(1000)]


def test_a_message_over_the_size_limit_ends_only_that_kernels_output(tmp_path):
    from utils.engine.sandbox import SandboxedExecute
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "print('before')",
        "kernel = get_ipython().kernel\n"
        "kernel.session.send(kernel.iopub_socket, 'stream', {'name': 'stdout', 'text': 'q' * 40_000_000},"
        " parent=kernel.get_parent(), ident=b'stream.stdout')",
        "raise ValueError('still graded')")]
    executor = SandboxedExecute(config=Config(ExecutePreprocessor={"timeout": 30}))
    executor.preprocess(notebook, {"metadata": {"path": str(tmp_path)}})
    assert notebook.cells[0].outputs[0].text == "before\n"
    assert notebook.cells[1].outputs == []  # 40 MB never reached the grader
    # Errors come with the kernel's reply too: the later cell is still graded.
    assert [output.ename for output in notebook.cells[2].outputs] == ["ValueError"]
    assert notebook.metadata.grading_notes == [
        "the output of 2 cell(s) did not all reach the grader (a message over the size limit, "
        "or a kernel stopped mid-cell)"]


SOURCE_CELLS = [
    ("answer", {"solution": True, "grade": False},
     "def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"),
    ("check", {"solution": False, "grade": True, "points": 1}, "assert answer() == 42"),
    ("loop", {"solution": True, "grade": False}, "### BEGIN SOLUTION\npass\n### END SOLUTION"),
    ("check_after", {"solution": False, "grade": True, "points": 1},
     "assert 'answer' not in dir()"),
]
STUDENT_ANSWER = """\
def answer():
    return 42
try:
    print('source', open('../../../source/ps1/ps1.ipynb').read()[:40])
except OSError as error:
    print('source', type(error).__name__)
"""
STUDENT_LOOP = """\
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""

STUDENT_EXIT_HOOK = """\
import atexit
atexit.register(lambda: open('at_exit.txt', 'w').write('the kernel ran its exit hooks'))
"""


def test_nbgrader_autograde_runs_student_kernels_in_the_sandbox(tmp_path):
    course = tmp_path
    (course / "nbgrader_config.py").write_text(textwrap.dedent("""\
        c = get_config()
        c.CourseDirectory.course_id = "sandbox_test"
        c.CourseDirectory.root = "."
        c.CourseDirectory.db_assignments = [{"name": "ps1"}]
        c.CourseDirectory.db_students = [{"id": "s1"}]
        from utils.engine.sandbox import autograde_preprocessors
        c.Autograde.autograde_preprocessors = autograde_preprocessors()
        c.SandboxedKernelManager.processes = 40
        c.SandboxedKernelManager.interrupt_grace = 2
        c.Execute.timeout = 3
    """))
    notebook = nbformat.v4.new_notebook()
    for grade_id, flags, source in SOURCE_CELLS:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "locked": not flags["solution"],
                                     "schema_version": 3, **flags}
        notebook.cells.append(cell)
    (course / "source" / "ps1").mkdir(parents=True)
    nbformat.write(notebook, course / "source" / "ps1" / "ps1.ipynb")
    env = {**nbgrader_env(), "PYTHONPATH": str(ROOT)}

    def nbgrader(*args):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    nbgrader("generate_assignment", "ps1", "--force")
    submission = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
    submission.cells[0].source = STUDENT_ANSWER
    submission.cells[2].source = STUDENT_LOOP
    submission.cells.append(nbformat.v4.new_code_cell(STUDENT_EXIT_HOOK))
    (course / "submitted" / "s1" / "ps1").mkdir(parents=True)
    nbformat.write(submission, course / "submitted" / "s1" / "ps1" / "ps1.ipynb")
    nbgrader("autograde", "ps1")

    graded = nbformat.read(course / "autograded" / "s1" / "ps1" / "ps1.ipynb", as_version=4)
    printed = "".join(output.get("text", "") for output in graded.cells[0].outputs)
    # Plain nbgrader runs this kernel unsandboxed in the same folder: the read succeeds.
    assert printed == "source FileNotFoundError\n"
    # The loop that ignores interrupts is stopped and recorded in its cell; the
    # cells after it run in a fresh kernel, and the submission is graded.
    assert [output.get("ename") for output in graded.cells[2].outputs] == ["CellTimeoutError"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "sandbox_test") as gradebook:
        graded_notebook = gradebook.find_submission_notebook("ps1", "ps1", "s1")
        scores = {grade.name: grade.auto_score for grade in graded_notebook.grades}
    assert scores == {"check": 1, "check_after": 1}
    # The last kernel was stopped at once: the student's exit hook never ran.
    assert (course / "autograded" / "s1" / "ps1" / "ps1.ipynb").exists()
    assert not (course / "autograded" / "s1" / "ps1" / "at_exit.txt").exists()


def test_the_course_config_and_its_json_twin_name_the_sandboxed_preprocessors():
    """nbgrader_config.py and nbgrader_config.json (read even when the .py fails) replace
    nbgrader's Execute in nbgrader's own list of autograde preprocessors, and nothing else."""
    from nbgrader.converters.autograde import Autograde
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader
    from traitlets.utils.importstring import import_item

    from utils.engine.sandbox import SandboxedExecute, autograde_preprocessors

    names = autograde_preprocessors()
    for loader in (PyFileConfigLoader, JSONFileConfigLoader):
        config = loader(f"nbgrader_config.{'py' if loader is PyFileConfigLoader else 'json'}",
                        path=str(ROOT)).load_config()
        assert list(config.Autograde.autograde_preprocessors) == names
    nbgrader_default = Autograde.class_traits()["autograde_preprocessors"].default()
    classes = [import_item(name) for name in names]
    assert classes[0] is SandboxedExecute and issubclass(SandboxedExecute, nbgrader_default[0])
    assert classes[1:] == nbgrader_default[1:]


def _command_is_sleep(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep\0")
    except OSError:
        return False


def test_killing_the_grader_kills_its_sandboxes(tmp_path):
    grader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import subprocess, time
            from utils.engine.sandbox import wrap_command
            subprocess.Popen(wrap_command(["sleep", "4321.7"], {str(tmp_path)!r}))
            time.sleep(600)
        """)], cwd=ROOT)
    # Wait for the sleep itself (its command line starts with it), not for the launcher's
    # command line that merely mentions it: bwrap must be running before the grader dies.
    deadline = time.monotonic() + 20
    while not [pid for pid in processes_with("sleep 4321.7") if _command_is_sleep(pid)] \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with("sleep 4321.7"), "the sandboxed process did not start"
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 5
    while processes_with("sleep 4321.7") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with("sleep 4321.7") == []
    # The dead grader's cgroup (as root) goes with the next sandbox made.
    release_command(wrap_command(["true"], tmp_path))
    assert list(Path("/sys/fs/cgroup").rglob(f"kit-sandbox-{grader.pid}-*")) == []


def test_a_python_installed_under_tmp_is_still_visible_in_the_sandbox(tmp_path):
    """A course cloned under /tmp has its venv there; the sandbox's private /tmp must not hide it."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    kit_packages = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "kit.pth").write_text(f"{kit_packages}\n{ROOT}\n")
    workdir = tmp_path / "work"
    workdir.mkdir()
    script = ("import subprocess, sys; from utils.engine.sandbox import wrap_command; "
              "command = wrap_command([sys.executable, '-c', 'import sys; print(sys.prefix)'], sys.argv[1]); "
              "print(subprocess.run(command, capture_output=True, text=True, cwd=sys.argv[1]).stdout.strip())")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", script, str(workdir)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-1000:]
    assert done.stdout.strip() == str(venv)


def test_a_sandbox_left_by_a_dead_grader_is_killed_by_the_next_one(tmp_path):
    """If a grader dies before bwrap has tied itself to it, its sandbox lives on in its
    cgroup; the next sandbox made kills it and removes the cgroup (grading as root, as here:
    as an ordinary user there are no per-sandbox cgroups)."""
    from utils.engine.sandbox import _pids_cgroup_parent
    dead = subprocess.Popen(["true"])
    dead.wait()
    group = _pids_cgroup_parent() / f"kit-sandbox-{dead.pid}-0"
    group.mkdir()
    orphan = subprocess.Popen(["sleep", "4321.9"])
    (group / "cgroup.procs").write_text(str(orphan.pid))
    release_command(wrap_command(["true"], tmp_path))
    assert orphan.wait(timeout=10) == -9
    assert not group.exists()
