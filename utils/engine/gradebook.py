"""The course gradebook: nbgrader's database, SQLite (gradebook.db, the default) or PostgreSQL
(``c.CourseDirectory.db_url = "postgresql+psycopg://..."``), opened once for a whole grading run.

Besides nbgrader's tables it holds one table of the kit's, ``kit_outcome``: what grading gave
for each student (a JSON document) and the digest of what was graded, so that a run started
again, from this machine or another one, grades only what changed. A student's grades and
that record are written in one transaction.

One grading run per course at a time: an flock on the course folder, and on PostgreSQL an
advisory lock in the database as well, so that runs from other machines are refused too.
"""
import fcntl
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from .. import KitError

BUSY_SECONDS = 60  # default wait for a gradebook held by another program or out of reach

OUTCOMES = sa.Table(
    "kit_outcome", sa.MetaData(),
    sa.Column("course_id", sa.String(128), primary_key=True),
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("digest", sa.String(128), nullable=False),
    # JSON, not JSONB: the document keeps its keys in order (the exercises' order in grades.csv)
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("recorded_at", sa.DateTime(), nullable=False),
)


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


def gradebook_url(root, configured=""):
    """The SQLAlchemy URL of a course's gradebook: the configured one (a relative SQLite path is
    taken from the course folder), or gradebook.db in the course folder."""
    if not configured:
        return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"
    try:
        url = sa.engine.make_url(configured)
    except sa.exc.ArgumentError:
        raise KitError(f"the gradebook URL {configured!r} is not a database URL "
                       "(sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE)") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database:
            raise KitError(f"the gradebook URL {configured!r} names no file")
        return f"sqlite:///{(Path(root) / url.database).resolve()}"
    if backend != "postgresql":
        raise KitError(f"the gradebook URL {configured!r} is neither SQLite nor PostgreSQL")
    if url.drivername == "postgresql":  # SQLAlchemy would look for psycopg2; the kit ships psycopg 3
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _shown(url):
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def sqlite_path(url):
    """The file of a SQLite gradebook URL, or None for a database server."""
    url = sa.engine.make_url(url)
    return Path(url.database) if url.get_backend_name() == "sqlite" else None


def backup_sqlite(database, suffix=".bak"):
    """Copy a SQLite gradebook to gradebook.db.bak (or another suffix) with SQLite's online
    backup (a consistent copy even while another program has it open). Returns the backup's
    path, or None if no gradebook."""
    database = Path(database)
    if not database.exists():
        return None
    target = database.with_name(database.name + suffix)
    partial = target.with_name(target.name + ".part")
    with sqlite3.connect(database, timeout=BUSY_SECONDS) as source, sqlite3.connect(partial) as copy:
        source.backup(copy)
    os.replace(partial, target)
    return target


def check_integrity(database):
    """Raise KitError unless SQLite's integrity check passes on this gradebook file."""
    with sqlite3.connect(database, timeout=BUSY_SECONDS) as connection:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise KitError(f"{database} is damaged ({verdict}); restore it from {database}.bak")


def libpq_command(url):
    """(libpq connection URI without the password, environment with PGPASSWORD) for pg_dump,
    psql or nbgrader, so that the password never shows on a command line."""
    url = sa.engine.make_url(url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


@dataclass
class _Notebook:
    id: str
    grade_cells: dict      # {cell id: cell name} of cells that get a Grade row
    comment_cells: list    # cell ids that get a Comment row


class CourseGradebook:
    """The course gradebook for one grading run: one engine and one connection, reused for every
    student, with a wait-and-retry when the database is busy or its server restarts.

    url: a SQLAlchemy URL (see gradebook_url); wait: seconds to wait for the database.
    """

    def __init__(self, url, course_id, wait=BUSY_SECONDS):
        self.url, self.course_id, self.wait = url, course_id, wait
        self.path = sqlite_path(url)
        if self.path:
            self.engine = sa.create_engine(url, connect_args={"timeout": wait})
        else:
            self.engine = sa.create_engine(url, connect_args={"connect_timeout": 10})
        self._plans = {}
        self._db = None          # the run's connection
        self._locking = False    # whether the run holds the course's advisory lock on it

    @property
    def on_server(self):
        return self.path is None

    def close(self):
        if self._db is not None:
            try:
                self._db.close()  # ends the session, and with it the advisory lock
            except sa.exc.DBAPIError:
                pass
            self._db = None
        self.engine.dispose()

    def _connection(self):
        """The run's connection, (re)made on first use and after the server was lost."""
        if self._db is None:
            self._db = self.engine.connect()
            if self._locking:
                self._take_lock(self._db)
        return self._db

    def _drop_connection(self):
        if self._db is not None:
            try:
                self._db.invalidate()
            except sa.exc.DBAPIError:
                pass
            self._db = None

    # -- one run at a time, from any machine

    def lock(self):
        """On PostgreSQL, hold the course's advisory lock for this run on the run's connection
        (another run, from any machine, is refused); on SQLite the course folder's flock does."""
        if self.on_server:
            self._locking = True
            self._retrying(lambda db: None)

    def _take_lock(self, db):
        got = db.execute(sa.text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"),
                         {"key": f"dinosaur-island-kit grading {self.course_id}"}).scalar()
        db.commit()
        if not got:
            self.close()
            raise KitError(f"another grading run is using the gradebook of course {self.course_id} "
                           f"at {_shown(self.url)} (from this or another machine); "
                           "wait for it to finish, then run grade again")

    # -- waiting for the database

    def _retrying(self, action):
        """Run action(connection) on the run's connection. While the database server cannot be
        reached (restarting, network), wait and try again on a new connection (a restarted server
        has forgotten the run's lock: it is taken again) for self.wait seconds, then stop with one
        line. A SQLite gradebook locked by another program beyond its busy timeout stops too."""
        deadline = time.monotonic() + self.wait
        while True:
            try:
                return action(self._connection())
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
                self._drop_connection()
                reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
                if not self.on_server:
                    if "locked" in reason:
                        raise KitError(f"the gradebook {self.path} stayed locked by another program "
                                       f"for {self.wait} s (close the formgrader?); "
                                       "grades recorded so far are kept, run grade again") from None
                    raise KitError(f"cannot use the gradebook {self.path}: {reason}") from None
                if time.monotonic() > deadline:
                    raise KitError(f"the gradebook database {_shown(self.url)} could not be reached "
                                   f"for {self.wait} s ({reason}); grades recorded so far are kept, "
                                   "run grade again") from None
                time.sleep(1)

    # -- before the work fans out

    def backup(self, root, keep=False):
        """A copy of the gradebook before grading: gradebook.db.bak beside a SQLite gradebook;
        for PostgreSQL a pg_dump archive, ROOT/gradebook.pgdump (restore with pg_restore).
        keep: a copy of its own, named after the time (gradebook.db.before-regrade-TIME, or
        gradebook.before-regrade-TIME.pgdump), that later runs do not overwrite.
        Returns (path or None, warning or None): a missing or failing pg_dump is a warning, since
        every student is recorded in a transaction of its own and the server keeps its own backups."""
        stamp = datetime.now().strftime("before-regrade-%Y%m%d-%H%M%S")
        if not self.on_server:
            return backup_sqlite(self.path, f".{stamp}" if keep else ".bak"), None
        if not shutil.which("pg_dump"):
            return None, ("no backup of the gradebook made: pg_dump is not installed "
                          "(apt-get install postgresql-client)")
        target = Path(root) / (f"gradebook.{stamp}.pgdump" if keep else "gradebook.pgdump")
        partial = target.with_name(target.name + ".part")
        uri, env = libpq_command(self.url)
        done = subprocess.run(["pg_dump", "--format=custom", f"--file={partial}", uri],
                              capture_output=True, text=True, env=env)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            return None, f"no backup of the gradebook made: pg_dump failed: {last}"
        os.replace(partial, target)
        return target, None

    def check(self):
        """Raise KitError if a SQLite gradebook is damaged (a server checks its own pages)."""
        if not self.on_server and self.path.exists():
            check_integrity(self.path)

    def checksums(self, assignment):
        """{(notebook, cell): checksum} of an assignment's source cells in this gradebook."""
        return self._retrying(lambda db: assignment_checksums(db, assignment))

    def prepare(self, assignment, template_course, regrade_all=False):
        """Make the gradebook ready before any student is recorded: nbgrader's schema, the
        course and the assignment as released now (nbgrader generate_assignment run in the
        template course against this database when they differ), the kit's outcome table.
        Notebooks without graded cells are left out (they have nothing to show in the formgrader).

        nbgrader cannot add or remove cells of an assignment that has submissions: then this
        says so in one line and names the way out, regrade_all, which forgets the assignment's
        submissions and records (after the caller's backup) so that every one is graded again.
        """
        template = f"sqlite:///{Path(template_course) / 'gradebook.db'}"
        template_engine = sa.create_engine(template)
        try:
            wanted = assignment_checksums(template_engine, assignment)
        finally:
            template_engine.dispose()
        have = self.checksums(assignment)
        added, removed = sorted(set(wanted) - set(have)), sorted(set(have) - set(wanted))
        submissions = self.submission_count(assignment) if have else 0
        if have and (added or removed) and submissions and not regrade_all:
            cells = [f"added {', '.join(cell for _, cell in added)}" if added else "",
                     f"removed {', '.join(cell for _, cell in removed)}" if removed else ""]
            raise KitError(
                f"{assignment} has cells {' and '.join(c for c in cells if c)} since {submissions} "
                f"submission{'s' if submissions != 1 else ''} were graded, and nbgrader cannot change the "
                f"cells of a graded assignment; their grades stay as they are until you grade every "
                f"submission again against the new version (the gradebook is kept first as a backup): "
                f"python -m utils grade {assignment} --regrade-all")
        if regrade_all:
            self.forget(assignment)
        if self.checksums(assignment) != wanted:
            self._generate(assignment, template_course)
        self._retrying(lambda db: _in_transaction(db, lambda: OUTCOMES.create(db, checkfirst=True)))
        self._retrying(lambda db: self._drop_ungraded_notebooks(assignment))
        self._plans[assignment] = self._retrying(lambda db: self._plan(db, assignment))

    def submission_count(self, assignment):
        query = sa.text("""SELECT COUNT(*) FROM submitted_assignment
                           JOIN assignment ON submitted_assignment.assignment_id = assignment.id
                           WHERE assignment.name = :assignment""")
        return self._retrying(lambda db: _in_transaction(
            db, lambda: db.execute(query, {"assignment": assignment}).scalar()))

    def forget(self, assignment):
        """Remove the assignment's submissions (grades and comments with them) and the kit's
        records of them, so that every submission is graded again."""
        from nbgrader.api import Gradebook
        with Gradebook(self.url, self.course_id) as gradebook:
            for submission in list(gradebook.assignment_submissions(assignment)):
                gradebook.remove_submission(assignment, submission.student.id)

        def delete(db):
            if sa.inspect(db).has_table(OUTCOMES.name):
                db.execute(OUTCOMES.delete().where(OUTCOMES.c.course_id == self.course_id,
                                                   OUTCOMES.c.assignment == assignment))
        self._retrying(lambda db: _in_transaction(db, lambda: delete(db)))

    def _generate(self, assignment, template_course):
        from .assignment import nbgrader_api, run_nbgrader
        api = nbgrader_api(template_course, CourseDirectory={
            "db_url": self.url, "course_id": self.course_id,
            "release_directory": str(Path(template_course) / "resync")})
        run_nbgrader(f"cannot put the assignment into the gradebook {_shown(self.url)}",
                     api.generate_assignment, assignment)

    def _drop_ungraded_notebooks(self, assignment):
        from nbgrader.api import Gradebook
        with Gradebook(self.url, self.course_id) as gradebook:
            for notebook in list(gradebook.find_assignment(assignment).notebooks):
                if not notebook.grade_cells and not notebook.task_cells:
                    gradebook.remove_notebook(notebook.name, assignment)

    def _plan(self, db, assignment):
        """(assignment id, [_Notebook]) as nbgrader's add_submission lays a submission out: a
        Grade for each grade and task cell, a Comment for each solution and task cell."""
        from nbgrader.api import Assignment
        with sa.orm.Session(bind=db) as session, db.begin():
            found = session.query(Assignment).filter(Assignment.name == assignment).one()
            notebooks = [_Notebook(notebook.id,
                                   {cell.id: cell.name for cell in notebook.grade_cells + notebook.task_cells},
                                   [cell.id for cell in notebook.solution_cells + notebook.task_cells])
                         for notebook in found.notebooks]
            return found.id, notebooks

    # -- the kit's record of what was graded

    def previous(self, assignment, student, digest):
        """The recorded document of this student's submission if it has this digest, else None."""
        query = sa.select(OUTCOMES.c.document).where(
            OUTCOMES.c.course_id == self.course_id, OUTCOMES.c.assignment == assignment,
            OUTCOMES.c.student == student, OUTCOMES.c.digest == digest)
        return self._retrying(lambda db: _in_transaction(db, lambda: db.execute(query).scalar()))

    def documents(self, assignment):
        """Every recorded document of an assignment, by student ([] before any was recorded)."""
        query = sa.select(OUTCOMES.c.document).where(
            OUTCOMES.c.course_id == self.course_id, OUTCOMES.c.assignment == assignment
        ).order_by(OUTCOMES.c.student)

        def read(db):
            with db.begin():
                return list(db.execute(query).scalars()) if sa.inspect(db).has_table(OUTCOMES.name) else []
        return self._retrying(read)

    # -- recording

    def name_students(self, names):
        """Write the names the intake knows, {student: {"first_name", "last_name", "email"}}, in
        one transaction (students not in the gradebook yet are added)."""
        named = [{"student": student, "names": known} for student, known in names.items()]

        def write(db):
            with db.begin():
                # The whole roster is read once: a query per chunk would scan a table that grows
                # within the transaction (its statistics say it is empty), over and over.
                students = _tables()[0]
                known = {row.id: row for row in db.execute(
                    sa.select(students.c.id, students.c.first_name, students.c.last_name))}
                for some in _chunks(named):
                    _write_students(db, some, known)
        self._retrying(write)

    def record_many(self, assignment, records):
        """Write several students' grades and the documents of what grading gave, all in one
        transaction and with a fixed number of statements per CHUNK students (results that come
        in together cost one round of statements to a database server, not one per student).

        records: dicts with student, document (what grading gave, JSON), digest (of what was
        graded), cell_scores ({grade cell name: score}; cells not named get 0, so a failed
        re-grade replaces an earlier score), timestamp (when it was handed in, datetime, UTC),
        flagged, review (why the submission needs the instructor, shown as 'needs manual
        grading' with the reason as the automatic comment, or None) and names
        ({"first_name", "last_name", "email"} the intake knows, or None). A student named twice
        is recorded as the last record says."""
        plan = self._plans[assignment]
        records = list({one["student"]: _record(**one) for one in records}.values())
        if not records:
            return

        def write(db):
            with db.begin():
                for some in _chunks(records):
                    _write_students(db, some)
                    _write_submissions(db, plan, some)
                    db.execute(OUTCOMES.delete().where(
                        OUTCOMES.c.course_id == self.course_id, OUTCOMES.c.assignment == assignment,
                        OUTCOMES.c.student.in_([one["student"] for one in some])))
                    recorded_at = datetime.now(timezone.utc).replace(tzinfo=None)
                    db.execute(OUTCOMES.insert(), [
                        {"course_id": self.course_id, "assignment": assignment, "student": one["student"],
                         "digest": one["digest"], "document": one["document"], "recorded_at": recorded_at}
                        for one in some])
        self._retrying(write)


# Students per statement: a query names each of them once, and databases cap the values one
# statement may carry (SQLite at 32,766, PostgreSQL at 65,535).
CHUNK = 500


def _chunks(items, size=CHUNK):
    return [items[start:start + size] for start in range(0, len(items), size)]


def _record(student, document, digest, cell_scores, timestamp=None, flagged=False, review=None, names=None):
    return {"student": student, "document": document, "digest": digest, "cell_scores": cell_scores,
            "timestamp": timestamp, "flagged": flagged, "review": review, "names": names}


def _tables():
    from nbgrader.api import Comment, Grade, Student, SubmittedAssignment, SubmittedNotebook
    return (Student.__table__, SubmittedAssignment.__table__, SubmittedNotebook.__table__,
            Grade.__table__, Comment.__table__)


def _write_students(db, records, known=None):
    """Create or update the records' students (see _named): one query, one insert, and an
    update only for students whose names changed or were never set. known: {id: row with
    first_name, last_name} of the students in the gradebook, read here when not given."""
    students = _tables()[0]
    if known is None:
        known = {row.id: row for row in db.execute(
            sa.select(students.c.id, students.c.first_name, students.c.last_name)
            .where(students.c.id.in_([one["student"] for one in records])))}
    new = []
    for one in records:
        student, names = one["student"], _known_names(one["names"])
        row = known.get(student)
        if row is None:
            new.append({"id": student, "email": None, **_named(student, names)})
        elif names or (row.first_name is None and row.last_name is None):
            db.execute(students.update().where(students.c.id == student).values(**_named(student, names)))
    if new:
        db.execute(students.insert(), new)


def _write_submissions(db, plan, records):
    """The records' submissions laid out as nbgrader's add_submission lays them out (plan, see
    CourseGradebook._plan): new ones inserted, those graded before updated in place (their ids,
    and so the formgrader's links and manual comments' rows, stay)."""
    _, submissions, notebooks, grades, comments = _tables()
    assignment_id, layout = plan
    graded_before = dict(db.execute(
        sa.select(submissions.c.student_id, submissions.c.id).where(
            submissions.c.assignment_id == assignment_id,
            submissions.c.student_id.in_([one["student"] for one in records]))).all())
    rows = {"submissions": [], "notebooks": [], "grades": [], "comments": []}
    updates = {"submissions": [], "notebooks": [], "grades": [], "comments": []}
    for one in records:
        review, scores = one["review"], one["cell_scores"]
        submission = graded_before.get(one["student"])
        if submission is None:
            submission = _uuid()
            rows["submissions"].append({"id": submission, "assignment_id": assignment_id,
                                        "student_id": one["student"], "timestamp": one["timestamp"]})
            for notebook in layout:
                notebook_id = _uuid()
                rows["notebooks"].append({"id": notebook_id, "assignment_id": submission,
                                          "notebook_id": notebook.id, "flagged": one["flagged"]})
                rows["grades"] += [{"id": _uuid(), "notebook_id": notebook_id, "cell_id": cell,
                                    "auto_score": float(scores.get(name, 0.0)), "manual_score": None,
                                    "needs_manual_grade": review is not None}
                                   for cell, name in notebook.grade_cells.items()]
                rows["comments"] += [{"id": _uuid(), "notebook_id": notebook_id, "cell_id": cell,
                                      "auto_comment": review, "manual_comment": None}
                                     for cell in notebook.comment_cells]
        else:
            updates["submissions"].append({"b_id": submission, "b_timestamp": one["timestamp"]})
            updates["notebooks"].append({"b_submission": submission, "b_flagged": one["flagged"]})
            updates["grades"] += [{"b_submission": submission, "b_cell": cell,
                                   "b_score": float(scores.get(name, 0.0)), "b_review": review is not None}
                                  for notebook in layout for cell, name in notebook.grade_cells.items()]
            updates["comments"].append({"b_submission": submission, "b_review": review})
    for table, name in ((submissions, "submissions"), (notebooks, "notebooks"), (grades, "grades"),
                        (comments, "comments")):
        if rows[name]:
            db.execute(table.insert(), rows[name])
    if updates["submissions"]:
        _update_graded_before(db, submissions, notebooks, grades, comments, updates)


def _update_graded_before(db, submissions, notebooks, grades, comments, updates):
    """Update submissions recorded before: each statement runs once with a row per submission
    (or per grade cell)."""
    param = sa.bindparam
    mine = sa.select(notebooks.c.id).where(notebooks.c.assignment_id == param("b_submission"))
    db.execute(submissions.update().where(submissions.c.id == param("b_id"))
               .values(timestamp=param("b_timestamp")), updates["submissions"])
    db.execute(notebooks.update().where(notebooks.c.assignment_id == param("b_submission"))
               .values(flagged=param("b_flagged")), updates["notebooks"])
    if updates["grades"]:
        db.execute(grades.update().where(grades.c.notebook_id.in_(mine), grades.c.cell_id == param("b_cell"))
                   .values(auto_score=param("b_score"), manual_score=None,
                           needs_manual_grade=param("b_review")), updates["grades"])
    db.execute(comments.update().where(comments.c.notebook_id.in_(mine))
               .values(auto_comment=param("b_review")), updates["comments"])


def _in_transaction(db, action):
    """Run action() in a transaction of its own on the connection db (none is left open, so a
    SQLite gradebook is not held between students)."""
    with db.begin():
        return action()


def _uuid():
    return uuid.uuid4().hex  # nbgrader's own ids: 32 hex digits


def _known_names(names):
    """The names the intake knows, without empty ones. A student with no name at all gets the id
    as last name (_named), so the formgrader shows 'id, ' instead of 'None, None'."""
    return {key: value for key, value in (names or {}).items()
            if key in ("first_name", "last_name", "email") and value}


def _named(student, names):
    if names.get("first_name") or names.get("last_name"):
        return {"first_name": names.get("first_name", ""), "last_name": names.get("last_name", ""),
                **({"email": names["email"]} if "email" in names else {})}
    return {"first_name": "", "last_name": student, **({"email": names["email"]} if "email" in names else {})}


def assignment_checksums(engine, assignment):
    """{(notebook, cell): checksum} of an assignment's source cells, as generate_assignment stored
    them. engine: an SQLAlchemy engine or connection, or the path of a SQLite file; an empty
    database gives {}.
    A damaged database gives KitError; an unreachable one raises SQLAlchemy's OperationalError."""
    if isinstance(engine, (str, Path)):
        if not Path(engine).exists():
            return {}
        engine = sa.create_engine(f"sqlite:///{Path(engine).resolve()}")
    query = sa.text("""SELECT notebook.name, source_cell.name, source_cell.checksum FROM source_cell
                       JOIN notebook ON source_cell.notebook_id = notebook.id
                       JOIN assignment ON notebook.assignment_id = assignment.id
                       WHERE assignment.name = :assignment""")

    def read(connection):
        if not sa.inspect(connection).has_table("source_cell"):
            return []
        return connection.execute(query, {"assignment": assignment}).all()

    try:
        if isinstance(engine, sa.engine.Connection):
            rows = _in_transaction(engine, lambda: read(engine))
        else:
            with engine.connect() as connection:
                rows = read(connection)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        raise
    except sa.exc.DatabaseError as error:
        raise KitError(f"cannot read the gradebook {_shown(str(engine.engine.url))}: {error.orig}") from None
    return {(notebook, cell): checksum for notebook, cell, checksum in rows}
