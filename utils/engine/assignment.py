"""The released assignment as grading needs it, released once per run into a scratch course."""
import functools
import json
import logging
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import KitError
from ..notebook_twin import points_problem
from ..submissions import grade_id
from .judge import referee
from .outcome import exercise_of
from .validation import keep_relaxed_validators


def nbgrader_env():
    """The environment for nbgrader commands: its helper scripts (alembic) are on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


# Added to a scratch course's copy of nbgrader_config.py: whatever gradebook the course uses (a
# PostgreSQL server, say), a scratch course and the units made from it keep one of their own.
SCRATCH_GRADEBOOK = """
import os as _os
c.CourseDirectory.db_url = "sqlite:///" + _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "gradebook.db")
"""


@functools.lru_cache(maxsize=None)
def alembic_head():
    """The newest revision of nbgrader's gradebook schema, which nbgrader writes into every new
    gradebook. nbgrader's own get_alembic_version asks the alembic command for it (a new
    process, seconds of imports); its migration scripts, read here, give the same answer."""
    import nbgrader
    from alembic.script import ScriptDirectory
    return ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()


def nbgrader_api(course, **settings):
    """nbgrader's in-process API (the one its formgrader uses) on the course folder with its
    nbgrader_config.py; settings: {section: {trait: value}} set over that file. Runs in this
    process what would otherwise be an nbgrader command, which costs a Python start and
    seconds of imports. Its log is kept out of the terminal (see run_nbgrader)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head
    keep_relaxed_validators()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.merge(Config(settings))
    # After the settings, which may hold a CourseDirectory section of their own: nbgrader would
    # otherwise take the current folder as the course.
    config.merge(Config({"CourseDirectory": {"root": str(course)}}))
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    quiet = logging.getLogger(f"{__name__}.nbgrader")
    quiet.propagate, quiet.level = False, logging.INFO
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    api.log = quiet
    return api


def run_nbgrader(what, action, *args):
    """Call action(*args) of an nbgrader_api; KitError '<what>: <nbgrader's last line>' when
    it fails."""
    result = action(*args)
    if not result["success"]:
        lines = (result.get("error") or "").strip().splitlines() or \
            (result.get("log") or "").strip().splitlines() or ["(no output)"]
        raise KitError(f"{what}: {lines[-1]}")
    return result


def release_in_scratch(root, assignment, course):
    """Copy root's source/<assignment>/ and nbgrader_config.py into the folder course and run
    nbgrader generate_assignment there: course/release/<assignment>/ and course/gradebook.db
    result, and root itself is left untouched (no gradebook appears there)."""
    source = Path(root) / "source" / assignment
    if not source.is_dir():
        raise KitError(f"no assignment source at {source}")
    for path in sorted(source.glob("*.ipynb")):
        try:
            problems = [p for p in map(points_problem, nbformat.read(path, as_version=4).cells) if p]
        except Exception as error:
            raise KitError(f"{path.name} cannot be read: {str(error).strip().splitlines()[0][:200]}") from None
        if problems:
            raise KitError(f"{path.name}: {problems[0]}")
    course = Path(course)
    shutil.copytree(source, course / "source" / assignment,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    config = (Path(root) / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + SCRATCH_GRADEBOOK)
    run_nbgrader("nbgrader generate_assignment failed", nbgrader_api(course).generate_assignment, assignment)
    return course / "release" / assignment


# Grade cell names end in the kind of check they hold: clip_visible, clip_hidden, clip_tests.
@dataclass
class Assignment:
    """The released assignment, as grading needs it (built once per run in a scratch course)."""
    name: str
    course: Path          # scratch course with source/ (no notebooks), release/ and gradebook.db
    notebooks: dict       # {notebook name: released NotebookNode} of the graded notebooks
    cells: dict           # {grade cell name: max points}

    def zero(self):
        exercises = {}
        for cell, points in self.cells.items():
            exercises.setdefault(exercise_of(cell), [0.0, 0.0])[1] += points
        return exercises


def prepare_assignment(root, name, scratch):
    """Release the assignment into a scratch course (gradebook included), run the referee on
    every graded notebook (course/referee/<notebook>.json) and describe it.

    The referee runs the instructor's notebooks in a process of its own, while nbgrader
    releases the assignment in this one."""
    course = Path(scratch) / "template"
    source = Path(root) / "source" / name
    with ThreadPoolExecutor(max_workers=1) as pool:
        refereeing = {path.name: pool.submit(referee, source, path.name)
                      for path in sorted(source.glob("*.ipynb")) if _graded_cells(path)}
        release_in_scratch(root, name, course)
        notebooks, cells = {}, {}
        (course / "referee").mkdir()
        for path in sorted((course / "release" / name).glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            graded = _graded_cells(notebook)
            if graded:
                notebooks[path.stem] = notebook
                cells.update(graded)
                exercises = refereeing[path.name].result().exercises
                (course / "referee" / f"{path.stem}.json").write_text(json.dumps(exercises))
    return Assignment(name, course, notebooks, cells)


def _graded_cells(notebook):
    """{grade cell name: points} of a notebook (or of the notebook file at that path; {} when it
    cannot be read: release_in_scratch says why)."""
    if isinstance(notebook, Path):
        try:
            notebook = nbformat.read(notebook, as_version=4)
        except Exception:
            return {}
    return {grade_id(c): float(c.metadata.nbgrader.get("points", 0)) for c in notebook.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
