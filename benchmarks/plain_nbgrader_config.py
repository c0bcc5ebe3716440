"""nbgrader as it ships, for benchmarks/grading.py: the course's own settings (course, stubs,
cell time limit) without the kit's sandboxed execution or anything else of the kit."""
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "dinosaur_island"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ExecutePreprocessor.timeout = 10
