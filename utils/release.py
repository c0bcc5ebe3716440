"""``python -m utils release``: regenerate release/ (the student version) from source/."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import ASSIGNMENT, RELEASE, ROOT, KitError


def nbgrader_env():
    """The environment for nbgrader commands: its helper scripts (alembic) are on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def release_in_scratch(root, assignment, course):
    """Copy root's source/<assignment>/ and nbgrader_config.py into the folder course and run
    nbgrader generate_assignment there: course/release/<assignment>/ and course/gradebook.db
    result, and root itself is left untouched (no gradebook appears there)."""
    source = Path(root) / "source" / assignment
    if not source.is_dir():
        raise KitError(f"no assignment source at {source}")
    course = Path(course)
    shutil.copytree(source, course / "source" / assignment,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    shutil.copy(Path(root) / "nbgrader_config.py", course)
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
        cwd=course, capture_output=True, text=True, env=nbgrader_env())
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise KitError(f"nbgrader generate_assignment failed: {last}")
    return course / "release" / assignment


def generate_release(assignment=ASSIGNMENT, destination=RELEASE):
    """Release the assignment in a scratch course; copy the result to destination."""
    with tempfile.TemporaryDirectory() as scratch:
        released = release_in_scratch(ROOT, assignment, scratch)
        target = Path(destination) / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(released, target)
    return target


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "release", help="regenerate release/ from source/",
        description="Regenerate the student version in release/ with nbgrader.\n"
                    "Example: python -m utils release dinosaur_island")
    parser.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    parser.set_defaults(run=run)


def run(args):
    print(f"released {generate_release(args.assignment)}")
