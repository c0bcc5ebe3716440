"""The instructor's course folder as grading writes it: the gradebook, the ledger of what was
graded with which release, autograded/ and feedback/."""
import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from .. import KitError
from .assignment import nbgrader_env
from .gradebook import assignment_checksums, check_integrity, record
from .outcome import Outcome
from .settings import load_settings


class Course:
    """The instructor's course folder: where grading reads and writes."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self.settings = load_settings(self.root)
        self.gradebook = self.root / "gradebook.db"
        self.autograded = self.root / "autograded"
        self.feedback = self.root / "feedback"

    def ledger(self, assignment, student):
        return self.autograded / ".ledger" / assignment / f"{student}.json"

    def previous(self, assignment, student, submission_digest):
        """The recorded outcome of this exact submission, if it was graded before."""
        path = self.ledger(assignment, student)
        if path.exists():
            data = json.loads(path.read_text())
            if data.get("digest") == submission_digest:
                return Outcome(**data)
        return None

    def outcomes(self, assignment):
        folder = self.autograded / ".ledger" / assignment
        return [Outcome(**json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]

    def sync_assignment(self, assignment):
        """Make sure the course gradebook knows the assignment as it is released now."""
        template_db = assignment.course / "gradebook.db"
        if not self.gradebook.exists():
            shutil.copy(template_db, self.gradebook)
            return
        check_integrity(self.gradebook)
        if assignment_checksums(self.gradebook, assignment.name) != assignment_checksums(template_db, assignment.name):
            done = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", assignment.name, "--force",
                 f"--CourseDirectory.db_url=sqlite:///{self.gradebook}",
                 f"--CourseDirectory.release_directory={assignment.course / 'resync'}"],
                cwd=assignment.course, capture_output=True, text=True,
                env=nbgrader_env())
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                raise KitError(f"cannot update the assignment in {self.gradebook}: {last}")

    def store(self, assignment, outcome, unit_course, timestamp=None):
        """Record one outcome: autograded copy, feedback, gradebook row, then the ledger.

        What a unit made is copied back bounded (kept_files): autograded/ gets the graded
        notebooks and the student's own small files, feedback/ the HTML only; never per-student
        copies of the helper files, data or weights, nor what student code wrote.
        """
        handed_in = unit_course / "submitted" / outcome.student / assignment.name
        for kind, target_root in (("autograded", self.autograded), ("feedback", self.feedback)):
            target = target_root / outcome.student / assignment.name
            if target.exists():
                shutil.rmtree(target)
            made = unit_course / kind / outcome.student / assignment.name
            for relative in kept_files(made, handed_in if kind == "autograded" else None):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made / relative, target / relative, follow_symlinks=False)
        scores = outcome.cell_scores if outcome.status in ("graded", "timed out") else {}
        record(self.gradebook, self.settings.course_id, assignment.name, outcome.student, scores,
               timestamp=timestamp, flagged=bool(outcome.flags))
        path = self.ledger(assignment.name, outcome.student)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_suffix(".tmp").write_text(json.dumps(asdict(outcome), indent=1))
        os.replace(path.with_suffix(".tmp"), path)


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
    """The submission's timestamp.txt (nbgrader's zip_collect writes one), or None; read only
    when it is a small regular file, in a submission folder that is not a link (intake.take_in)."""
    folder = Path(folder)
    if folder.is_symlink() or folder.parent.is_symlink():
        return None
    try:
        fd = os.open(folder / "timestamp.txt", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        text = handle.read(200).decode("utf-8", "replace").strip()
    return text or None
