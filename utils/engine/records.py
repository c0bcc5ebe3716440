"""The instructor's course folder as grading writes it: the gradebook, the ledger of what was
graded with which release, autograded/ and feedback/."""
import json
import os
import shutil
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
        """Record one outcome: autograded copy, feedback, gradebook row, then the ledger."""
        for kind, target_root in (("autograded", self.autograded), ("feedback", self.feedback)):
            target = target_root / outcome.student / assignment.name
            if target.exists():
                shutil.rmtree(target)
            made = unit_course / kind / outcome.student / assignment.name if unit_course else None
            if made and made.is_dir():
                shutil.copytree(made, target)
        scores = outcome.cell_scores if outcome.status in ("graded", "timed out") else {}
        record(self.gradebook, self.settings.course_id, assignment.name, outcome.student, scores,
               timestamp=timestamp, flagged=bool(outcome.flags))
        path = self.ledger(assignment.name, outcome.student)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_suffix(".tmp").write_text(json.dumps(asdict(outcome), indent=1))
        os.replace(path.with_suffix(".tmp"), path)


def read_timestamp(folder):
    path = Path(folder) / "timestamp.txt"
    return path.read_text().strip() if path.exists() else None
