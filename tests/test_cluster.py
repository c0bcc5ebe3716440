"""Grading on a Dask cluster: a real `dask scheduler` and two `dask worker` processes on this
machine, the gradebook on PostgreSQL, and the faults a cluster meets (a worker killed mid-task,
a submission that brings its worker down every time, a scheduler out of reach)."""
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from utils import ASSIGNMENT, ROOT, KitError
from utils.demo import DEMO_SUBMISSIONS
from utils.engine.transfer import pack, unpack
from utils.submissions import grade_id

from postgres import new_database, query, server_url
from test_grade import grade, make_course

DASK = Path(sys.executable).parent / "dask"


# -- bytes in, bytes out (fast)

def test_a_folder_packed_and_unpacked_is_the_same_and_links_are_left_out(tmp_path):
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "a.ipynb").write_text("{}")
    (source / "sub" / "data.txt").write_bytes(b"x" * 100)
    (source / "leak").symlink_to("/etc/passwd")
    data, cut = pack(source)
    assert cut == []
    unpack(data, tmp_path / "copy", cap=1000)
    assert sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*")) == \
        ["a.ipynb", "sub", "sub/data.txt"]
    assert (tmp_path / "copy" / "sub" / "data.txt").read_bytes() == b"x" * 100


def test_packing_stops_at_the_cap_and_names_what_it_left_out(tmp_path):
    (tmp_path / "small").write_bytes(b"1" * 10)
    (tmp_path / "large").write_bytes(b"2" * 1000)
    data, cut = pack(tmp_path, ["small", "large"], cap=100)
    assert cut == ["large"]
    unpack(data, tmp_path / "copy", cap=100)
    assert [p.name for p in (tmp_path / "copy").iterdir()] == ["small"]


@pytest.mark.parametrize("member, words", [("link", "links or special files"),
                                           ("escape", "unsafe"), ("large", "more than")])
def test_unpacking_refuses_links_paths_outside_and_too_much(tmp_path, member, words):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo({"link": "leak", "escape": "../outside", "large": "big"}[member])
        if member == "link":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(info)
        else:
            content = b"x" * (500 if member == "large" else 5)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    with pytest.raises(KitError, match=words):
        unpack(buffer.getvalue(), tmp_path / "target", cap=100)
    assert not (tmp_path / "outside").exists()


@pytest.mark.parametrize("linked", ["folder", "file"])
def test_unpacking_never_writes_through_a_link_already_in_the_target(tmp_path, linked):
    """A link where the archive puts a folder or a file is refused, not followed."""
    (tmp_path / "source" / "s1" / "a").mkdir(parents=True)
    (tmp_path / "source" / "s1" / "a" / "x.ipynb").write_text("{}")
    data, _ = pack(tmp_path / "source")
    elsewhere, target = tmp_path / "elsewhere", tmp_path / "target"
    (elsewhere / "a").mkdir(parents=True)
    (elsewhere / "a" / "x.ipynb").write_text("kept")
    target.mkdir()
    if linked == "folder":
        (target / "s1").symlink_to(elsewhere)
    else:
        (target / "s1" / "a").mkdir(parents=True)
        (target / "s1" / "a" / "x.ipynb").symlink_to(elsewhere / "a" / "x.ipynb")
    with pytest.raises(KitError, match="cannot unpack into"):
        unpack(data, target, cap=1000)
    assert (elsewhere / "a" / "x.ipynb").read_text() == "kept"


def test_an_answer_writes_only_into_its_students_autograded_and_feedback_folders(tmp_path):
    from utils.engine.assignment import Assignment
    from utils.engine.outcome import Outcome
    from utils.engine.task import place_answer

    assignment = Assignment(ASSIGNMENT, tmp_path, {}, {})
    unit = tmp_path / "unit"
    for kind in ("autograded", "feedback"):
        (unit / kind / "ann" / ASSIGNMENT).mkdir(parents=True)
        (unit / kind / "ann" / ASSIGNMENT / "page").write_text(kind)
    course = tmp_path / "course"
    (course / "autograded" / "ann" / ASSIGNMENT).mkdir(parents=True)
    (course / "autograded" / "ann" / ASSIGNMENT / "old.ipynb").write_text("from an earlier grading")
    answer = {"outcome": Outcome("ann", "graded", 1.0, 1.0, {}).__dict__, "files": pack(unit)[0]}
    assert place_answer(answer, assignment, "ann", course).student == "ann"
    assert sorted(str(p.relative_to(course)) for p in course.rglob("*") if p.is_file()) == \
        [f"autograded/ann/{ASSIGNMENT}/page", f"feedback/ann/{ASSIGNMENT}/page"]
    # An answer that would write anywhere else (or for another student) writes nothing.
    (unit / "gradebook.db").write_text("overwritten")
    with pytest.raises(KitError, match="outside"):
        place_answer(dict(answer, files=pack(unit)[0]), assignment, "ann", course)
    with pytest.raises(KitError, match="answered for ann where bob was asked"):
        place_answer(answer, assignment, "bob", course)
    assert not (course / "gradebook.db").exists() and not (course / "autograded" / "bob").exists()


# -- real clusters

@contextmanager
def dask_cluster(folder, workers=2, allowed_failures=1):
    """`dask scheduler` and `dask worker` processes (one thread each) on this machine, set up as
    the README tells an instructor; yields the scheduler's address."""
    address_file = folder / "scheduler.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), DASK_DISTRIBUTED__WORKER__DAEMON="False",
               DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=str(allowed_failures))
    started = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                 "--no-dashboard", "--scheduler-file", address_file],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)]
    try:
        while not address_file.exists():
            time.sleep(0.2)
        started += [subprocess.Popen([DASK, "worker", "--nthreads", "1", "--memory-limit", "0",
                                      "--no-dashboard", "--scheduler-file", address_file],
                                     env=env, cwd=folder, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
                    for _ in range(workers)]
        from distributed import Client
        with Client(scheduler_file=str(address_file), timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
            yield client.scheduler.address
    finally:
        for process in reversed(started):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def read_rows(course):
    with open(course / "grades.csv", newline="") as handle:
        return sorted(tuple(row.items()) for row in csv.DictReader(handle))


@pytest.mark.slow
def test_the_demo_class_on_a_cluster_with_postgres_gets_the_grades_it_gets_here_on_sqlite(
        graded_demo_class, tmp_path):
    """One of the two workers is killed while it grades: its submission is graded on the other
    one and recorded once."""
    from distributed import Client
    course = make_course(tmp_path / "course")
    with dask_cluster(tmp_path) as scheduler, new_database(server_url()) as url:
        grader = subprocess.Popen(
            [sys.executable, "-m", "utils", "grade", ASSIGNMENT, "--course", str(course), "--db", url,
             "--submissions", str(DEMO_SUBMISSIONS), "--scheduler", scheduler],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with Client(scheduler, timeout=30) as client:
            busy = {}
            while not busy and grader.poll() is None:
                busy = {worker: keys for worker, keys in client.processing().items()
                        if any(str(key).startswith("kit-grade-") for key in keys)}
                time.sleep(0.2)
            if busy:
                worker = sorted(busy)[0]
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)   # its nanny starts a new worker process
        out, err = grader.communicate(timeout=900)
        assert busy, "no worker was seen grading"
        assert grader.returncode == 0, err[-2000:]
        assert "10 graded now" in out
        students = sorted(p.name for p in DEMO_SUBMISSIONS.iterdir())
        assert query(url, "SELECT student FROM kit_outcome ORDER BY student") == [(s,) for s in students]
        assert query(url, "SELECT COUNT(*) FROM submitted_assignment")[0][0] == len(students)
    assert read_rows(course) == read_rows(graded_demo_class)


def worker_killer(folder):
    """A submission whose first exercise kills the Dask worker process grading it (run without
    the sandbox, where student code can see the grader's processes)."""
    notebook = nbformat.read(DEMO_SUBMISSIONS / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if grade_id(c) == "clip")
    cell.source += ("\n\nimport psutil\n"
                    "for _process in psutil.Process().parents():\n"
                    "    if 'spawn_main' in ' '.join(_process.cmdline()):\n"
                    "        _process.kill()\n")
    target = folder / ASSIGNMENT
    target.mkdir(parents=True)
    nbformat.write(notebook, target / f"{ASSIGNMENT}.ipynb")


@pytest.mark.slow
def test_a_submission_that_brings_its_worker_down_every_time_ends_as_grading_failed(tmp_path):
    course = make_course(tmp_path / "course")
    shutil.copytree(DEMO_SUBMISSIONS / "correct", course / "submitted" / "honest")
    worker_killer(course / "submitted" / "killer")
    with dask_cluster(tmp_path, allowed_failures=1) as scheduler:
        done = grade(course, "--scheduler", scheduler, "--no-sandbox")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {row["student"]: row for row in csv.DictReader(open(course / "grades.csv", newline=""))}
    assert rows["honest"]["status"] == "graded" and rows["honest"]["score"] == rows["honest"]["max_score"]
    assert rows["killer"]["status"] == "grading failed"
    assert "the grading worker died each time this submission was graded (2 tries" in rows["killer"]["message"]


@pytest.mark.slow
def test_a_scheduler_out_of_reach_gives_one_line_and_exit_2(tmp_path):
    course = make_course(tmp_path / "course")
    shutil.copytree(DEMO_SUBMISSIONS / "correct", course / "submitted" / "s1")
    done = grade(course, "--scheduler", "tcp://127.0.0.1:9")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(
        "error: cannot reach the Dask scheduler at tcp://127.0.0.1:9:")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (course / "grades.csv").exists()


def test_a_submission_sent_to_a_worker_is_what_the_intake_takes_in_with_what_it_left_out(tmp_path):
    from utils.engine.intake import take_in, take_in_archive
    source = tmp_path / "source"
    (source / "data").mkdir(parents=True)
    (source / f"{ASSIGNMENT}.ipynb").write_text("{}")
    (source / "data" / "notes.txt").write_text("mine")
    (source / "leak").symlink_to("/etc/shadow")
    os.mkfifo(source / "pipe")
    unpack(take_in_archive(source, cap=1000), tmp_path / "sent", cap=1000)
    on_worker = take_in(tmp_path / "sent", tmp_path / "worker")
    here = take_in(source, tmp_path / "here")
    assert on_worker == here == ["symbolic link leak -> /etc/shadow", "FIFO pipe"]
    files = lambda root: sorted((str(p.relative_to(root)), p.is_file() and p.read_text()) for p in root.rglob("*"))
    assert files(tmp_path / "worker") == files(tmp_path / "here")
    assert take_in_archive(source, cap=5) is None
