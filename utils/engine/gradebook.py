"""The course gradebook (nbgrader's SQLite database): one grading run at a time, a backup
before each run, and results written one student at a time in a transaction of their own."""
import fcntl
import os
import sqlite3
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

from .. import KitError

BUSY_SECONDS = 60  # how long to wait for another program (e.g. the formgrader) holding the database


@contextmanager
def course_lock(root):
    """Hold the course's grading lock; a second run gets a clear one-line error.

    The lock is an flock on a file, so it is released by the kernel however the holder ends,
    SIGKILL included: a crashed run never leaves a stale lock behind.
    """
    path = Path(root) / ".grading.lock"
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise KitError(f"another grading run ({holder}) is using this course; "
                       "wait for it to finish, then run grade again") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    handle.flush()
    try:
        yield
    finally:
        handle.close()


def backup(database):
    """Copy the gradebook to gradebook.db.bak with SQLite's online backup (a consistent copy
    even while another program has it open). Returns the backup's path, or None if no gradebook."""
    database = Path(database)
    if not database.exists():
        return None
    target = database.with_name(database.name + ".bak")
    partial = target.with_name(target.name + ".part")
    with _connect(database) as source, sqlite3.connect(partial) as copy:
        source.backup(copy)
    os.replace(partial, target)
    return target


def check_integrity(database):
    """Raise KitError unless SQLite's integrity check passes."""
    with _connect(database) as connection:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise KitError(f"{database} is damaged ({verdict}); restore it from {database}.bak")


def _connect(database):
    return sqlite3.connect(database, timeout=BUSY_SECONDS)


def assignment_checksums(database, assignment):
    """{(notebook, cell): checksum} of an assignment's source cells, as generate_assignment stored them."""
    if not Path(database).exists():
        return {}
    query = """SELECT notebook.name, cell.name, cell.checksum FROM source_cell AS cell
               JOIN notebook ON cell.notebook_id = notebook.id
               JOIN assignment ON notebook.assignment_id = assignment.id
               WHERE assignment.name = ?"""
    with _connect(database) as connection:
        try:
            rows = connection.execute(query, (assignment,)).fetchall()
        except sqlite3.DatabaseError as error:
            raise KitError(f"cannot read the gradebook {database}: {error}") from None
    return {(notebook, cell): checksum for notebook, cell, checksum in rows}


def record(database, course_id, assignment, student, cell_scores, timestamp=None, flagged=False):
    """Write one student's scores: {grade cell name: score}; cells not named get 0.

    Every grade cell of the submission is set, so a failed re-grade replaces an earlier score
    instead of leaving it behind. Retries while another program holds the database.
    """
    from nbgrader.api import Gradebook

    url = f"sqlite:///{Path(database).resolve()}"
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            with warnings.catch_warnings(), Gradebook(url, course_id) as gradebook:
                # nbgrader's own submission bookkeeping makes SQLAlchemy warn; the rows are right.
                warnings.simplefilter("ignore")
                gradebook.update_or_create_student(student)
                submission = gradebook.update_or_create_submission(
                    assignment, student, **({"timestamp": timestamp} if timestamp else {}))
                for notebook in submission.notebooks:
                    notebook.flagged = bool(flagged)
                    for grade in notebook.grades:
                        grade.auto_score = float(cell_scores.get(grade.name, 0.0))
                        grade.manual_score = None
                        grade.needs_manual_grade = False
                gradebook.db.commit()
            return
        except Exception as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                if "locked" in str(error):
                    raise KitError(f"the gradebook {database} stayed locked by another program "
                                   f"for {BUSY_SECONDS} s (close the formgrader?); "
                                   "grades recorded so far are kept, run grade again") from None
                raise
            time.sleep(0.5)
