"""nbgrader configuration of the Dinosaur Island course (run commands from this folder)."""
import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "dinosaur_island"
c.CourseDirectory.root = "."
# Generated or private files that must never reach students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Time limits while grading. Every graded cell runs in well under a second with a correct
# solution (training uses a short schedule when NBGRADER_EXECUTION is set), so an endless loop
# costs seconds. The per-submission limit covers kernel start, all cells and the feedback.
c.ExecutePreprocessor.timeout = 10
c.Grading.submission_timeout = 60

# The gradebook: gradebook.db in this folder unless set. For several graders or machines, a
# PostgreSQL database (see the README):
# c.CourseDirectory.db_url = "postgresql+psycopg://grader@db.example.org/dinosaur_island"
# The course's own exchange: grading puts the release there, so that nbgrader's formgrader shows
# the assignment as released. Where students fetch and submit through nbgrader (a JupyterHub),
# set the hub's exchange instead.
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")
