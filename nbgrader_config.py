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
# A notebook without graded cells (the optional shakespeare.ipynb) earns no points: grading keeps
# it in autograded/ with its feedback page but does not run it. True runs it for every student.
c.Grading.execute_ungraded = False

# The gradebook: gradebook.db in this folder unless set. For several graders or machines, a
# PostgreSQL database (see the README):
# c.CourseDirectory.db_url = "postgresql+psycopg://grader@db.example.org/dinosaur_island"
# The course's own exchange: grading puts the release there, so that nbgrader's formgrader shows
# the assignment as released. Where students fetch and submit through nbgrader (a JupyterHub),
# set the hub's exchange instead.
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")

# Student notebooks run only in the kit's sandbox (utils/engine/sandbox.py), whoever starts the
# grading: `python -m utils grade`, `nbgrader autograde` in this folder, or the formgrader's
# Autograde button. nbgrader's Execute is replaced by the kit's; where no sandbox can be made,
# autograde fails instead of running student code. nbgrader skips a config file that raises
# (a typo anywhere here) and goes on without it, so nbgrader_config.json, which nbgrader reads
# next, repeats this list: change both together.
import importlib.util  # noqa: E402
import sys  # noqa: E402

if sys.argv[1:2] == ["autograde"]:
    try:
        kit_found = importlib.util.find_spec("utils.engine.sandbox") is not None
    except ImportError:
        kit_found = False
    if not kit_found:
        raise SystemExit("nbgrader autograde: student code runs only in the kit's sandbox, and the "
                         "kit's utils package cannot be imported here; run nbgrader in the kit's "
                         "folder, or grade with python -m utils grade")
c.Autograde.autograde_preprocessors = [
    "utils.engine.sandbox.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# What one student kernel may write in all (its folder, /tmp, /dev/shm): past either cap its
# writes fail with "No space left on device" and the report says so.
c.SandboxedKernelManager.folder_bytes = 256 * 2**20
c.SandboxedKernelManager.folder_files = 10_000
# Output kept in the graded notebook (and its feedback): its start and end, and how much was cut.
c.CappedOutputs.cell_output_bytes = 1 * 2**20
c.CappedOutputs.notebook_output_bytes = 4 * 2**20
