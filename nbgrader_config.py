"""nbgrader configuration of the Dinosaur Island course (run commands from this folder)."""
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "dinosaur_island"
c.CourseDirectory.root = "."
c.CourseDirectory.db_assignments = [{"name": "dinosaur_island"}]
# Generated or private files that must never reach students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Time limits while grading. Every graded cell runs in well under a second with a correct
# solution (training uses a short schedule when NBGRADER_EXECUTION is set), so an endless loop
# costs seconds. The per-submission limit covers kernel start, all cells and the feedback.
c.ExecutePreprocessor.timeout = 10
c.Grading.submission_timeout = 60
