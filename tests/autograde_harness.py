"""Grade notebooks with the real ``nbgrader autograde`` in a scratch course, for the tests.

A scratch course holds a copy of nbgrader_config.py and source/<assignment>/, and its own
release made by ``nbgrader generate_assignment``. Each notebook to grade is the released one with
its solution cells filled in; one ``nbgrader autograde`` run grades them all, and the scores of
the graded cells are read back from the scratch gradebook.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from utils import ASSIGNMENT, ROOT, SOURCE
from utils.engine.assignment import nbgrader_env
from utils.submissions import filled_notebook, instructor_solutions

NOTEBOOK = "dinosaur_island"
COURSE_ID = "dinosaur_island"


def _nbgrader(course, *args):
    # The course's config runs student kernels in the kit's sandbox: nbgrader imports it.
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                          capture_output=True, text=True, env={**nbgrader_env(), "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"nbgrader {args[0]} failed with exit code {done.returncode}:\n{tail}")
    return done


class ScratchCourse:
    """A course directory under root with the assignment generated from the current source/."""

    def __init__(self, root, assignment=ASSIGNMENT):
        self.root = Path(root)
        self.assignment = assignment
        shutil.copy(ROOT / "nbgrader_config.py", self.root)
        shutil.copytree(SOURCE / assignment, self.root / "source" / assignment,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        _nbgrader(self.root, "generate_assignment", assignment, "--force")
        self.released = nbformat.read(self.root / "release" / assignment / f"{NOTEBOOK}.ipynb", as_version=4)
        self.solutions = instructor_solutions(
            nbformat.read(SOURCE / assignment / f"{NOTEBOOK}.ipynb", as_version=4))

    def submit(self, student, solutions):
        """Hand in the released notebook with the instructor's solution cells, except those in
        solutions ({grade_id: cell source}), as student's submission."""
        notebook = filled_notebook(self.released, {**self.solutions, **solutions})
        folder = self.root / "submitted" / student / self.assignment
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")

    def autograde(self):
        """Run one nbgrader autograde over every submission; {student: {grade cell: (score, max)}}."""
        _nbgrader(self.root, "autograde", self.assignment)
        scores = {}
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", COURSE_ID) as gradebook:
            for submission in gradebook.assignment_submissions(self.assignment):
                graded = gradebook.find_submission_notebook(NOTEBOOK, self.assignment, submission.student.id)
                scores[submission.student.id] = {grade.name: (float(grade.score), float(grade.max_score))
                                                 for grade in graded.grades}
        return scores

    def autograded_notebook(self, student):
        """The notebook as autograde left it, outputs included (to show why a check failed)."""
        return nbformat.read(self.root / "autograded" / student / self.assignment / f"{NOTEBOOK}.ipynb",
                             as_version=4)
