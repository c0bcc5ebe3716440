"""Hostile submissions graded through `python -m utils grade` with the sandbox on, and through
plain `nbgrader autograde` in a course folder set up like the kit's.

Each submission is the correct solution plus one attack appended to a solution cell, or a
correct notebook handed in beside links and special files. The attacks print what they achieved;
the tests read the graded notebooks' outputs, the grades, the sizes of what grading kept and the
course files' hashes afterwards.
"""
import csv
import hashlib
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from utils import ASSIGNMENT, RELEASE, ROOT, SOURCE
from utils.engine.assignment import nbgrader_env
from utils.submissions import filled_notebook, instructor_solutions

from course_facts import EXERCISE_POINTS, TOTAL, hidden_checks, score_passing_only_the_rules
from test_grade import make_course, read_grades

pytestmark = pytest.mark.slow

FULL_TEXT = f"{TOTAL:g}"

MB = 10**6
MiB = 2**20

MARKER = "kit-hostile-daemon"

READ_AND_WRITE = """
import glob, os
_others = [p for p in glob.glob("../../*/*/*.ipynb") + glob.glob("/work/*/source/*/*.ipynb")
           if not os.path.realpath(p).startswith(os.getcwd())]  # other students, other courses
for _path in {targets!r} + _others:
    try:
        open(_path, "rb").read(10)
        print("READ OK", _path)
    except OSError as _error:
        print("read blocked", _path, type(_error).__name__)
    try:
        with open(_path, "ab") as _f:
            _f.write(b"garbage")
        print("WRITE OK", _path)
    except OSError as _error:
        print("write blocked", _path, type(_error).__name__)
"""

FLOOD = """
for _ in range(400):
    print("x" * 10**6)
"""

FILL_DISK = """
import glob, os, sys
try:
    for _i in range(25):
        with open(f"big{_i}.bin", "wb") as _f:
            _f.write(bytes(60 * 10**6))
    print("wrote everything")
except OSError as _error:
    print("write failed:", _error.strerror)
print("written", sum(os.path.getsize(_p) for _p in glob.glob("big*.bin")))
_sockets = os.path.dirname(sys.argv[sys.argv.index("-f") + 1])
for _where in ("/tmp/more.bin", "/dev/shm/more.bin", _sockets + "/more.bin"):
    try:
        with open(_where, "wb") as _f:
            _f.write(bytes(10**6))
        print("extra write OK", _where)
    except OSError as _error:
        print("extra write failed", _where, _error.strerror)
"""

MAKE_FILES = """
import os
os.mkdir("many")
_made = 0
try:
    for _i in range(100_000):
        open(f"many/{_i}", "w").close()
        _made += 1
except OSError as _error:
    print("making files failed:", _error.strerror)
print("files made", _made)
"""

ATTACKS = {
    "reads_course": ("clip", READ_AND_WRITE),
    "allocates_6gb": ("clip", """
try:
    _big = bytearray(6 * 1024 ** 3)
    print("ALLOCATED 6 GB")
except MemoryError:
    print("allocation refused: MemoryError")
"""),
    "ignores_sigint": ("model", """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""),
    "fork_bomb": ("model", """
import os
_children = 0
try:
    for _ in range(100000):
        if os.fork() == 0:
            import time
            time.sleep(600)
            os._exit(0)
        _children += 1
except OSError as _error:
    print("fork refused after", _children, "children:", type(_error).__name__)
"""),
    "detaches_daemon": ("clip", f"""
import os, subprocess
subprocess.Popen(["/bin/sh", "-c", "exec -a {MARKER} sleep 600"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("daemon started")
"""),
    # A wrong sample (argmax) that patches every comparison function it can think of.
    "patches_numpy": ("sample", """
import math, numpy, numpy.testing
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_equal = lambda *a, **k: None
math.isclose = lambda *a, **k: True
"""),
    # A wrong sample that goes further: it rebinds the notebook's own grading helpers (they
    # are visible in the release) and swallows every error, so every check cell "passes".
    "rebinds_graders": ("sample", """
import checks
checks.grade = lambda exercise, namespace, points: points
checks.expect = lambda *args, **kwargs: None
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
"""),
    # 400 MB printed in one cell.
    "floods_output": ("clip", FLOOD),
    # 25 files of 60 MB (each under the 64 MiB file-size limit), then more in /tmp, /dev/shm
    # and the kernel's socket folder.
    "fills_disk": ("clip", FILL_DISK),
    "makes_files": ("clip", MAKE_FILES),
    # clip returns arrays that claim to equal anything.
    "cheat_arrays": ("clip", """
import numpy
class _Cheat(numpy.ndarray):
    def __eq__(self, other):
        return True
    def __array_ufunc__(self, *args, **kwargs):
        return True
_honest_clip = clip
def clip(gradients, maxValue):
    return {key: numpy.asarray(value).view(_Cheat) for key, value in gradients.items()}
import numpy
"""),
}


def hash_tree(folder):
    sha = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        sha.update(str(path).encode() + path.read_bytes())
    return sha.hexdigest()


def daemons():
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if MARKER in " ".join(process.info["cmdline"] or []):
            found.append(process.pid)
    return found


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("hostile"))
    shutil.copytree(RELEASE, course / "release")
    release = nbformat.read(RELEASE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    correct = instructor_solutions(nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    targets = [str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
               str(course / "release" / ASSIGNMENT / "rnn_utils.py"), str(course / "gradebook.db"),
               str(ROOT / "nbgrader_config.py"), "../../../gradebook.db"]
    for student, (cell, attack) in ATTACKS.items():
        solutions = dict(correct)
        if student in ("patches_numpy", "rebinds_graders"):
            solutions["sample"] = solutions["sample"].replace(
                "np.random.choice(range(vocab_size), p=y.ravel())", "int(np.argmax(y))")
        solutions[cell] += "\n\n" + attack.replace("{targets!r}", repr(targets))
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(filled_notebook(release, solutions), folder / f"{ASSIGNMENT}.ipynb")
    honest = course / "submitted" / "honest" / ASSIGNMENT
    honest.mkdir(parents=True)
    nbformat.write(filled_notebook(release, correct), honest / f"{ASSIGNMENT}.ipynb")
    hashes = {name: hash_tree(course / name) for name in ("source", "release")}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course),
                           "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(course / "grades.csv", newline="") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    return course, grades, hashes, time.monotonic() - started


def graded_output(course, student):
    notebook = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return "\n".join(out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", []))


def test_course_files_and_gradebook_can_be_neither_read_nor_changed(hostile_course):
    course, grades, hashes, _ = hostile_course
    output = graded_output(course, "reads_course")
    assert "read blocked" in output and "READ OK" not in output
    # Writes fail, or land in the sandbox's private /tmp and vanish with it: the real files
    # are unchanged.
    assert {name: hash_tree(course / name) for name in hashes} == hashes
    assert b"garbage" not in (course / "gradebook.db").read_bytes()
    assert b"garbage" not in (ROOT / "nbgrader_config.py").read_bytes()
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert grades["reads_course"]["score"] == FULL_TEXT  # the attack costs nothing and gains nothing


def test_allocating_6_gb_fails_inside_the_kernel(hostile_course):
    course, grades, _, _ = hostile_course
    assert "allocation refused: MemoryError" in graded_output(course, "allocates_6gb")
    assert grades["allocates_6gb"]["status"] == "graded" and grades["allocates_6gb"]["score"] == FULL_TEXT


def test_a_loop_that_ignores_sigint_is_stopped_and_recorded(hostile_course):
    _, grades, _, _ = hostile_course
    assert grades["ignores_sigint"]["status"] == "timed out"
    assert "time limit" in grades["ignores_sigint"]["message"]


def test_a_fork_bomb_is_capped_and_leaves_nothing_behind(hostile_course):
    course, grades, _, _ = hostile_course
    assert "fork refused after" in graded_output(course, "fork_bomb")
    assert grades["fork_bomb"]["status"] in ("graded", "timed out")
    assert not [p for p in psutil.process_iter(["cmdline"])
                if "fork_bomb" in " ".join(p.info["cmdline"] or [])]


def test_a_detached_process_is_gone_with_the_kernel(hostile_course):
    course, grades, _, _ = hostile_course
    assert "daemon started" in graded_output(course, "detaches_daemon")
    assert daemons() == []
    assert grades["detaches_daemon"]["score"] == FULL_TEXT


def test_patched_comparison_functions_earn_nothing(hostile_course):
    _, grades, _, _ = hostile_course
    row = grades["patches_numpy"]
    # what an honest argmax sample earns (its lists are well formed), not a point more
    assert float(row["score"]) == score_passing_only_the_rules("sample"), row
    assert all(float(row[name]) == EXERCISE_POINTS[name] for name in EXERCISE_POINTS if name != "sample"), row


def test_checks_switched_off_in_the_kernel_are_caught_by_the_judge(hostile_course):
    _, grades, _, _ = hostile_course
    row = grades["rebinds_graders"]
    # not a point more than the honest wrong answer (patches_numpy's sample) earns
    assert float(row["score"]) == score_passing_only_the_rules("sample"), row
    points = hidden_checks("sample")[1]
    assert f"sample: the checks in the notebook gave {points:g} of {points:g} points, its real results" in row["flags"]
    assert all(float(row[name]) == EXERCISE_POINTS[name] for name in EXERCISE_POINTS if name != "sample"), row


def test_arrays_that_equal_everything_earn_nothing(hostile_course):
    _, grades, _, _ = hostile_course
    assert float(grades["cheat_arrays"]["clip"]) == 0
    assert float(grades["cheat_arrays"]["sample"]) == EXERCISE_POINTS["sample"]


# ---------------------------------------------------------------- output floods and full disks

def tree_bytes(folder):
    """Bytes of every file under folder (links not followed) and the number of files, not counting
    timestamp.txt, the hand-in time nbgrader keeps with every submission."""
    files = [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()
             and path.name != "timestamp.txt"]
    return sum(path.lstat().st_size for path in files), len(files)


def seconds(course, student):
    """How long grading the student took, as recorded with the outcome in the gradebook."""
    from utils.engine.records import Course
    recorded = Course(course)
    try:
        return next(o.seconds for o in recorded.outcomes(ASSIGNMENT) if o.student == student)
    finally:
        recorded.gradebook.close()


def kept(course, student):
    """(bytes, files) kept for a student in autograded/ and in feedback/, and the feedback's names."""
    autograded = tree_bytes(course / "autograded" / student / ASSIGNMENT)
    feedback_folder = course / "feedback" / student / ASSIGNMENT
    return autograded, tree_bytes(feedback_folder), sorted(p.name for p in feedback_folder.iterdir())


def test_a_400_mb_flood_keeps_its_start_and_end_within_the_caps(hostile_course):
    course, grades, _, _ = hostile_course
    row = grades["floods_output"]
    assert row["status"] == "graded" and row["score"] == FULL_TEXT, row
    output = graded_output(course, "floods_output")
    # The cell keeps 1 MiB of its 400 MB: the start, a line saying how much was cut, the end.
    assert output.count("x") <= 1 * MiB and output.count("x") > MiB // 2
    assert "MB of output cut here" in output
    assert "of the notebook's output were cut" in row["flags"]
    (autograded, files), (feedback, _), names = kept(course, "floods_output")
    # The honest notebook is 0.1 MB, its feedback 0.4 MB; the flood adds its 1 MiB to each.
    assert autograded < 1.5 * MB and files == 1, autograded
    assert feedback < 2 * MB and names == [f"{ASSIGNMENT}.html"], feedback
    print(f"flood: autograded {autograded:,} B, feedback {feedback:,} B, "
          f"{seconds(course, 'floods_output')} s")


def test_filling_the_disk_stops_at_the_folder_cap_and_is_reported(hostile_course):
    course, grades, _, _ = hostile_course
    row = grades["fills_disk"]
    assert row["status"] == "graded" and row["score"] == FULL_TEXT, row
    output = graded_output(course, "fills_disk")
    assert "write failed: No space left on device" in output
    written = int(output.split("written ")[1].split()[0])
    # 256 MiB for the whole sandbox (its files, /tmp, /dev/shm, sockets): the helper files the
    # kernel reads and its own small files leave a few MB less for the student's writes.
    assert 200 * MiB < written <= 256 * MiB, written
    assert output.count("extra write failed") == 3 and "extra write OK" not in output
    assert "filled the 256 MB it may write" in row["flags"]
    (autograded, files), (feedback, _), names = kept(course, "fills_disk")
    # Nothing the student's code wrote comes back: the graded notebook and the feedback only.
    assert files == 1 and autograded < 0.2 * MB, (autograded, files)
    assert names == [f"{ASSIGNMENT}.html"] and feedback < 1 * MB
    print(f"disk: wrote {written:,} B in the sandbox, autograded {autograded:,} B, "
          f"feedback {feedback:,} B, {seconds(course, 'fills_disk')} s")


def test_making_100000_files_stops_at_the_file_cap_and_is_reported(hostile_course):
    course, grades, _, _ = hostile_course
    row = grades["makes_files"]
    assert row["status"] == "graded" and row["score"] == FULL_TEXT, row
    output = graded_output(course, "makes_files")
    assert "making files failed: No space left on device" in output
    made = int(output.split("files made ")[1].split()[0])
    assert 9_900 < made <= 10_000 + 64, made
    assert "made the 10,000 files it may make" in row["flags"]
    (autograded, files), _, names = kept(course, "makes_files")
    assert files == 1 and autograded < 0.2 * MB and names == [f"{ASSIGNMENT}.html"]
    print(f"files: made {made:,} in the sandbox, autograded {files} file(s) {autograded:,} B, "
          f"{seconds(course, 'makes_files')} s")


def test_no_student_leaves_helper_files_or_data_in_the_course(hostile_course):
    course, grades, _, _ = hostile_course
    for student in grades:
        if (course / "feedback" / student).exists():
            assert [p.suffix for p in (course / "feedback" / student / ASSIGNMENT).iterdir()] == [".html"]
        kept_names = {p.name for p in (course / "autograded" / student / ASSIGNMENT).rglob("*")}
        assert kept_names <= {f"{ASSIGNMENT}.ipynb", "timestamp.txt"}, (student, kept_names)


# ---------------------------------------------------------------- links and special files

READ_LINKS = """
for _name in ("leak_db", "etc_shadow", "source_dir/dinosaur_island/dinosaur_island.ipynb"):
    try:
        print("READ", _name, open(_name, "rb").read(64))
    except OSError as _error:
        print("not readable", _name, type(_error).__name__)
"""


@pytest.fixture(scope="module")
def intake_course(tmp_path_factory):
    """Submissions handed in beside links and special files, as git or tar keep them."""
    course = make_course(tmp_path_factory.mktemp("intake"))
    release = nbformat.read(RELEASE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    correct = instructor_solutions(nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    submitted = course / "submitted"
    folders = {}
    for student in ("honest", "links_course", "special_files"):
        folders[student] = submitted / student / ASSIGNMENT
        folders[student].mkdir(parents=True)
        solutions = dict(correct)
        if student == "links_course":
            solutions["clip"] += "\n\n" + READ_LINKS
        nbformat.write(filled_notebook(release, solutions), folders[student] / f"{ASSIGNMENT}.ipynb")
    # The grading course's gradebook exists once grading starts: a link to it is made now and
    # followed (or not) then.
    (folders["links_course"] / "leak_db").symlink_to(course / "gradebook.db")
    (folders["links_course"] / "etc_shadow").symlink_to("/etc/shadow")
    (folders["links_course"] / "source_dir").symlink_to(course / "source")
    os.mkfifo(folders["special_files"] / "pipe")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(folders["special_files"] / "sock"))
    if os.geteuid() == 0:  # only root makes devices (a tar extracted by root keeps them)
        os.mknod(folders["special_files"] / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    (submitted / "linked_folder").mkdir()
    (submitted / "linked_folder" / ASSIGNMENT).symlink_to(folders["honest"])
    hashes = {name: hash_tree(course / name) for name in ("source",)}
    done = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course),
                           "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return course, read_grades(course), hashes


def everything_kept(course, student):
    """The bytes of every file grading kept for a student (autograded/ and feedback/)."""
    return b"".join(path.read_bytes() for kind in ("autograded", "feedback")
                    for path in sorted((course / kind / student).rglob("*")) if path.is_file())


def test_links_in_a_submission_are_left_out_and_never_followed(intake_course):
    course, grades, hashes = intake_course
    row = grades["links_course"]
    assert row["status"] == "graded" and row["score"] == FULL_TEXT, row
    output = graded_output(course, "links_course")
    assert "READ" not in output and output.count("not readable") == 3, output
    kept_bytes = everything_kept(course, "links_course")
    assert b"SQLite format 3" not in kept_bytes and b"root:" not in kept_bytes
    for line in (f"symbolic link leak_db -> {course / 'gradebook.db'}",
                 "symbolic link etc_shadow -> /etc/shadow",
                 f"symbolic link source_dir -> {course / 'source'}"):
        assert f"left out of the submission: {line}" in row["flags"]
    assert {name: hash_tree(course / name) for name in hashes} == hashes


def test_special_files_in_a_submission_are_left_out_and_flagged(intake_course):
    course, grades, _ = intake_course
    row = grades["special_files"]
    assert row["status"] == "graded" and row["score"] == FULL_TEXT, row
    expected = ["FIFO pipe", "socket sock"] + (["character device null"] if os.geteuid() == 0 else [])
    for line in expected:
        assert f"left out of the submission: {line}" in row["flags"]
    assert not (course / "autograded" / "special_files" / ASSIGNMENT / "pipe").exists()


def test_a_submission_folder_that_is_a_link_is_not_read(intake_course):
    _, grades, _ = intake_course
    row = grades["linked_folder"]
    assert row["status"] == "missing notebook" and row["score"] == "0", row
    assert "the submission folder is a symbolic link: not read" in row["flags"]
    assert grades["honest"]["score"] == FULL_TEXT
    assert set(grades) == {"honest", "links_course", "special_files", "linked_folder"}


def test_links_in_an_lms_zip_are_left_out_and_flagged(tmp_path):
    course = make_course(tmp_path / "course")
    shutil.copytree(RELEASE, course / "release")
    honest = DEMO_NOTEBOOK.read_bytes()
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("alice_1_2_dinosaur_island.ipynb", honest)
        link = zipfile.ZipInfo("mallory_3_4_dinosaur_island.ipynb")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/shadow")
    done = subprocess.run([sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course),
                           "--zip", str(export)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    grades = read_grades(course)
    assert grades["alice"]["score"] == FULL_TEXT
    row = grades["mallory"]
    assert row["status"] == "missing notebook", row
    assert ("left out of the submission: symbolic link mallory_3_4_dinosaur_island.ipynb -> "
            "/etc/shadow (in export.zip)") in row["flags"]
    assert not list((course / "submitted" / "mallory").rglob("*.ipynb"))


DEMO_NOTEBOOK = ROOT / "utils" / "demo_submissions" / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


# ---------------------------------------------------------------- plain nbgrader and the formgrader

READ_COURSE = """
for _path in ("../../../gradebook.db", "../../../source/dinosaur_island/dinosaur_island.ipynb",
              "../../../nbgrader_config.py"):
    try:
        print("READ OK", _path, open(_path, "rb").read(20))
    except OSError as _error:
        print("read blocked", _path, type(_error).__name__)
"""


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory):
    """A course folder set up like the kit's own (its nbgrader_config.py and .json, the kit's
    utils/ beside them), released, with an honest and a hostile submission."""
    course = make_course(tmp_path_factory.mktemp("plain") / "course")
    shutil.copy(ROOT / "nbgrader_config.json", course)
    (course / "utils").symlink_to(ROOT / "utils")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    correct = instructor_solutions(nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    hostile = {**correct, "clip": correct["clip"] + "\n" + READ_COURSE,
               "sample": correct["sample"] + "\n" + FILL_DISK,
               "optimize": correct["optimize"] + "\n" + FLOOD}
    for student, solutions in (("honest", correct), ("mallory", hostile)):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(filled_notebook(release, solutions), folder / f"{ASSIGNMENT}.ipynb")
    return course


def nbgrader(course, *args):
    """`python -m nbgrader ARGS` run in the course folder, as an instructor would."""
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(),
                          capture_output=True, text=True, timeout=600)


def copy_of(course, tmp_path):
    return Path(shutil.copytree(course, tmp_path / "course", symlinks=True))


def outputs(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    return "\n".join(out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", []))


def autograded_scores(course, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "dinosaur_island") as gradebook:
        graded = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return sum(grade.score for grade in graded.grades)


def check_hostile_run(course):
    graded = course / "autograded" / "mallory" / ASSIGNMENT
    printed = outputs(graded / f"{ASSIGNMENT}.ipynb")
    assert printed.count("read blocked") == 3 and "READ OK" not in printed, printed[:2000]
    assert "write failed: No space left on device" in printed
    assert int(printed.split("written ")[1].split()[0]) <= 256 * MiB
    assert "MB of output cut here" in printed
    notebook_bytes = (graded / f"{ASSIGNMENT}.ipynb").stat().st_size
    folder_bytes, _ = tree_bytes(graded)
    # The notebook with 1 MiB of its 400 MB flood; beside it nbgrader's copies of the helper
    # files (1 MB) and at most 16 MiB of the student's own small files.
    assert notebook_bytes < 1.5 * MB and folder_bytes < 1 * MB + notebook_bytes + 16 * MiB
    assert autograded_scores(course, "mallory") == autograded_scores(course, "honest") == TOTAL
    return notebook_bytes, folder_bytes


def test_plain_nbgrader_autograde_runs_student_code_in_the_sandbox(nbgrader_course, tmp_path):
    course = copy_of(nbgrader_course, tmp_path)
    started = time.monotonic()
    done = nbgrader(course, "autograde", ASSIGNMENT)
    assert done.returncode == 0, done.stderr[-3000:]
    notebook_bytes, folder_bytes = check_hostile_run(course)
    print(f"nbgrader autograde: notebook {notebook_bytes:,} B, autograded folder {folder_bytes:,} B, "
          f"{time.monotonic() - started:.1f} s for two students")


def test_a_config_file_nbgrader_skips_still_leaves_the_sandbox_in_place(nbgrader_course, tmp_path):
    course = copy_of(nbgrader_course, tmp_path)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("c.Grading.submission_timeout = sixty\n")  # a typo: NameError
    done = nbgrader(course, "autograde", ASSIGNMENT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Exception while loading config file" in done.stderr  # nbgrader went on without it
    check_hostile_run(course)


def test_nbgrader_autograde_refuses_when_the_sandbox_cannot_be_loaded(nbgrader_course, tmp_path):
    course = copy_of(nbgrader_course, tmp_path)
    (course / "utils").unlink()
    done = nbgrader(course, "autograde", ASSIGNMENT)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "nbgrader autograde: student code runs only in the kit's sandbox, and the kit's utils "
        "package cannot be imported here; run nbgrader in the kit's folder, or grade with "
        "python -m utils grade")
    assert not (course / "autograded").exists()


FORMGRADER_AUTOGRADE = """
from nbgrader.apps.api import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory

# As the formgrader does: the course's config, then the API call behind its Autograde button.
app = NbGrader()
app.init_syspath()
app.load_config_file()
coursedir = CourseDirectory(config=app.config)
api = NbGraderAPI(coursedir, Authenticator(config=app.config), config=app.config)
result = api.autograde("dinosaur_island", "mallory")
print("success" if result["success"] else result.get("error"))
"""


def test_the_formgrader_autograde_button_runs_student_code_in_the_sandbox(nbgrader_course, tmp_path):
    course = copy_of(nbgrader_course, tmp_path)
    assert nbgrader(course, "autograde", ASSIGNMENT, "--student", "honest").returncode == 0
    done = subprocess.run([sys.executable, "-c", FORMGRADER_AUTOGRADE], cwd=course, env=nbgrader_env(),
                          capture_output=True, text=True, timeout=600)
    assert done.stdout.strip().splitlines()[-1] == "success", done.stdout[-3000:] + done.stderr[-3000:]
    check_hostile_run(course)
