"""The instructor's course as grading writes it: the gradebook (with the kit's record of what was
graded with which release, see gradebook.py), and in the course folder submitted/ (what was
graded, with its hand-in time), autograded/, feedback/ and the course's exchange, laid out as
nbgrader and its formgrader expect them."""
import filecmp
import os
import shutil
import stat
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from .assignment import nbgrader_api, run_nbgrader
from .feedback import failure_note, note_cell, write_failure_page
from .gradebook import CourseGradebook, gradebook_url
from .intake import SKIPPED, take_in
from .outcome import Outcome
from .settings import load_settings

TIMESTAMP = "timestamp.txt"   # nbgrader's record of when a submission was handed in


class Course:
    """The instructor's course: where grading reads and writes.

    db_url: the gradebook's URL when not the course's own (nbgrader_config.py's
    c.CourseDirectory.db_url, else gradebook.db in the course folder).
    """

    def __init__(self, root, db_url=None):
        self.root = Path(root).resolve()
        self.settings = load_settings(self.root)
        self.db_url = gradebook_url(self.root, db_url or self.settings.db_url)
        self.gradebook = CourseGradebook(self.db_url, self.settings.course_id, self.settings.gradebook_wait)
        self.submitted = self.root / "submitted"
        self.autograded = self.root / "autograded"
        self.feedback = self.root / "feedback"

    @contextmanager
    def recording(self):
        """The gradebook open for one grading run (on a database server, locked for it)."""
        try:
            self.gradebook.lock()
            yield self
        finally:
            self.gradebook.close()

    def backup(self, keep=False):
        """Back the gradebook up before a run (keep: in a copy of its own, see
        CourseGradebook.backup); returns a warning line when no backup was made."""
        return self.gradebook.backup(self.root, keep)[1]

    def sync_assignment(self, assignment, regrade_all=False):
        """Make sure the course gradebook knows the assignment as it is released now (see
        CourseGradebook.prepare for regrade_all)."""
        self.gradebook.check()
        self.gradebook.prepare(assignment.name, assignment.course, regrade_all)

    def publish(self, assignment):
        """Put the release into the course's own exchange (c.Exchange.root inside the course
        folder), so that nbgrader's formgrader shows the assignment as released. An exchange
        elsewhere (a JupyterHub's, shared with students) is left to the instructor."""
        if not self.settings.exchange_root:
            return
        exchange = (self.root / self.settings.exchange_root).resolve()
        if not exchange.is_relative_to(self.root):
            return
        release = assignment.course / "release" / assignment.name
        outbound = exchange / self.settings.course_id / "outbound" / assignment.name
        if outbound.is_dir() and _same_files(release, outbound):
            return
        exchange.mkdir(parents=True, exist_ok=True)
        api = nbgrader_api(assignment.course, Exchange={"root": str(exchange)},
                           CourseDirectory={"course_id": self.settings.course_id},
                           ExchangeReleaseAssignment={"force": True})
        run_nbgrader(f"cannot release {assignment.name} into the course exchange {exchange}",
                     api.release_assignment, assignment.name)

    def name_students(self, names):
        """Write the names the intake knows: {student: {"first_name", "last_name", "email"}}."""
        if names:
            self.gradebook.name_students(names)

    def handed_in(self, assignment, student, folder):
        """When the submission in folder was handed in (a UTC datetime): its timestamp.txt, else
        the time of its newest file. A submission in the course's own submitted/ without a
        timestamp.txt gets one, as nbgrader's collect would have written (do this before taking
        its digest: the file is part of what was handed in)."""
        handed_in = read_timestamp(folder)
        if handed_in is None:
            handed_in = newest_file_time(folder)
            if _same_folder(folder, self.submitted / student / assignment):
                write_timestamp(folder, handed_in)
        return handed_in

    def previous(self, assignment, student, submission_digest):
        """The recorded outcome of this exact submission, if it was graded before."""
        document = self.gradebook.previous(assignment, student, submission_digest)
        return _outcome(document) if document else None

    def outcomes(self, assignment):
        return [_outcome(document) for document in self.gradebook.documents(assignment)]

    def store(self, assignment, outcome, unit_course, timestamp=None, folder=None, names=None):
        """Record one outcome: autograded copy, feedback and the copy in submitted/, then the
        student's grades and the outcome in the gradebook, in one transaction (see store_many).

        unit_course: the scratch course the submission was graded in (None when nothing ran);
        timestamp: when it was handed in; folder: where it was taken from; names: what the
        intake knows of the student's name.

        What a unit made is copied back bounded (kept_files): autograded/ gets the graded
        notebooks and the student's own small files, feedback/ the HTML only; never per-student
        copies of the helper files, data or weights, nor what student code wrote.
        """
        self.store_many(assignment, [(outcome, unit_course, timestamp, folder, names)])

    def store_many(self, assignment, results):
        """Record several outcomes as store() does, their gradebook rows in one transaction.
        results: [(outcome, unit_course, timestamp, folder, names[, placed])], placed: the unit's
        files are in the course already (a cluster worker's answer, see task.place_answer).
        Files go first: a run stopped before the transaction commits has recorded none of them,
        and grades them again."""
        self.gradebook.record_many(assignment.name, [self._files(assignment, *result) for result in results])

    def _files(self, assignment, outcome, unit_course, timestamp, folder, names, placed=False):
        """Write one outcome's files into the course; returns its gradebook record (the
        arguments of CourseGradebook.record_many)."""
        if not placed:
            self._copy_back(assignment, outcome, unit_course)
        if folder is not None:
            self._keep_submission(assignment.name, outcome.student, folder, timestamp)
        review = None
        if outcome.status != "graded":
            review = f"{outcome.status}: {outcome.message}" if outcome.message else outcome.status
            handed_in = (unit_course or self.root) / "submitted" / outcome.student / assignment.name
            self._explain(assignment, outcome, handed_in)
        scores = outcome.cell_scores if outcome.status in ("graded", "timed out") else {}
        return dict(student=outcome.student, document=asdict(outcome), digest=outcome.digest,
                    cell_scores=scores, timestamp=timestamp, flagged=bool(outcome.flags) or review is not None,
                    review=review, names=names)

    def _copy_back(self, assignment, outcome, unit_course):
        """Replace the student's autograded/ and feedback/ folders by what the unit made (see
        store); without a unit course, only remove them."""
        handed_in = unit_course / "submitted" / outcome.student / assignment.name if unit_course else None
        for kind, target_root in (("autograded", self.autograded), ("feedback", self.feedback)):
            target = target_root / outcome.student / assignment.name
            if target.exists():
                shutil.rmtree(target)
            made = unit_course / kind / outcome.student / assignment.name if unit_course else None
            for relative in (kept_files(made, handed_in if kind == "autograded" else None) if made else []):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made / relative, target / relative, follow_symlinks=False)

    def _keep_submission(self, assignment, student, folder, timestamp):
        """A submission graded from outside the course goes into submitted/<student>/<assignment>/
        (where nbgrader and its formgrader look), with its hand-in time."""
        own = self.submitted / student / assignment
        if _same_folder(folder, own):
            return
        if own.exists():
            shutil.rmtree(own)
        take_in(folder, own)
        if timestamp is not None:
            (own / TIMESTAMP).unlink(missing_ok=True)
            write_timestamp(own, timestamp)

    def _explain(self, assignment, outcome, handed_in):
        """For a submission that was not simply graded: a note on top of its autograded notebook
        (for the instructor in the formgrader), and a feedback page that says why. handed_in: the
        submission as taken in (no links), whose cells the note's notebook shows."""
        graded_any = outcome.status == "timed out" and outcome.cell_scores
        if graded_any:
            note = (f"### Grading stopped: {outcome.status}\n\n{outcome.message}\n\n"
                    f"**Score: {outcome.score:g} / {outcome.max_score:g}**, from the cells that ran.")
        else:
            note = failure_note(outcome.status, outcome.message, outcome.max_score)
        for name, released in assignment.notebooks.items():
            target = self.autograded / outcome.student / assignment.name / f"{name}.ipynb"
            if target.exists():
                notebook = nbformat.read(target, as_version=4)
                notebook.cells.insert(0, note_cell(note))
            else:
                notebook = nbformat.v4.new_notebook(metadata=released.metadata, cells=[note_cell(note)])
                cells = handed_in / f"{name}.ipynb"
                if cells.is_file() and not cells.is_symlink():  # the student's cells as handed in, not run
                    try:
                        notebook.cells += nbformat.read(cells, as_version=4).cells
                    except Exception:  # not a readable notebook (that may be why it was not graded)
                        pass
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
            page = self.feedback / outcome.student / assignment.name / f"{name}.html"
            if not page.exists():
                write_failure_page(page, name, note, outcome.max_score)


def _outcome(document):
    """An Outcome from its stored document; fields it does not know are left out."""
    known = {f.name for f in fields(Outcome)}
    return Outcome(**{key: value for key, value in document.items() if key in known})


def _same_folder(a, b):
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _same_files(a, b):
    """Whether two folders hold the same files with the same contents."""
    comparison = filecmp.dircmp(a, b)
    if comparison.left_only or comparison.right_only or comparison.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, comparison.common_files, shallow=False)
    return not mismatch and not errors and all(
        _same_files(Path(a) / sub, Path(b) / sub) for sub in comparison.common_dirs)


# What one student's autograded/ folder may hold besides the graded notebooks.
STUDENT_FILE_BYTES = 1_000_000
STUDENT_FILES = 100


def kept_files(made, handed_in=None):
    """Relative paths of the regular files of the folder made to copy into the course: its
    notebooks (autograded/) or HTML (feedback/, when handed_in is None) at the top, and, given
    the folder the submission was handed in as, its files of at most STUDENT_FILE_BYTES that the
    student handed in (STUDENT_FILES of them at most). Links are never followed."""
    if not made.is_dir() or made.is_symlink():
        return []
    top = [path for path in sorted(made.iterdir())
           if path.suffix == (".ipynb" if handed_in else ".html") and _plain(path)]
    kept = [path.name for path in top]
    if handed_in is None:
        return kept
    own = [path.relative_to(handed_in) for path in sorted(handed_in.rglob("*"))
           if _plain(path) and path.suffix != ".ipynb"]
    for relative in own:
        path = made / relative
        if len(kept) >= len(top) + STUDENT_FILES:
            break
        # resolve() differs when any part of the path is a link
        if _plain(path) and path.resolve() == made.resolve() / relative \
                and path.stat().st_size <= STUDENT_FILE_BYTES:
            kept.append(str(relative))
    return kept


def _plain(path):
    return path.is_file() and not path.is_symlink()


def read_timestamp(folder):
    """The hand-in time in folder/timestamp.txt (a UTC datetime), or None when there is no such
    small regular file, the folder is a link, or it does not hold a time."""
    from nbgrader.utils import parse_utc
    folder = Path(folder)
    if folder.is_symlink() or folder.parent.is_symlink():
        return None
    try:
        fd = os.open(folder / TIMESTAMP, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        text = handle.read(200).decode("utf-8", errors="replace").strip()
    try:
        return parse_utc(text)
    except (ValueError, OverflowError):
        return None


def newest_file_time(folder):
    """The modification time of the newest regular file under folder, as a UTC datetime."""
    newest = 0.0
    for path, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in files:
            info = os.lstat(os.path.join(path, name))
            if stat.S_ISREG(info.st_mode):
                newest = max(newest, info.st_mtime)
    return datetime.fromtimestamp(newest or os.lstat(folder).st_mtime, timezone.utc).replace(tzinfo=None)


def write_timestamp(folder, when):
    """Write folder/timestamp.txt as nbgrader does; never over an existing file or a symlink."""
    try:
        handle = os.open(Path(folder) / TIMESTAMP, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        return
    with open(handle, "w") as writing:
        writing.write(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
