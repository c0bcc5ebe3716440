"""``python -m utils demo``: grade the bundled demo submissions, the kit's main job in one command.

The demo submissions in utils/demo_submissions/ are made from the released notebook and the
instructor's solutions by ``python -m utils demo --regenerate``, so they stay in step with the
assignment; a test checks that they are current. Each shows one thing that happens in a real class.
"""
import shutil
from pathlib import Path

import nbformat

from . import ASSIGNMENT, RELEASE, ROOT, SOURCE, KitError
from .submissions import filled_notebook, grade_id, instructor_solutions

DEMO_SUBMISSIONS = Path(__file__).resolve().parent / "demo_submissions"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def _replace(solutions, cell, old, new):
    if old not in solutions[cell]:
        raise KitError(f"demo: the {cell} solution no longer contains {old!r}; update utils/demo.py")
    solutions[cell] = solutions[cell].replace(old, new)


def _append(solutions, cell, code):
    solutions[cell] = solutions[cell] + "\n\n" + code


def demo_notebooks():
    """{student: (file name, notebook JSON text)} for every demo submission."""
    release = nbformat.read(RELEASE / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(SOURCE / ASSIGNMENT / NOTEBOOK, as_version=4)

    def variant(change=None):
        solutions = instructor_solutions(source)
        if change:
            change(solutions)
        return filled_notebook(release, solutions)

    def edit_locked(notebook):
        cell = next(c for c in notebook.cells if grade_id(c) == "sample_visible")
        cell.source = 'print("sample: looks fine to me")'
        return notebook

    def delete_tests(notebook):
        notebook.cells = [c for c in notebook.cells if grade_id(c) != "sample_visible"]
        return notebook

    argmax = lambda s: _replace(s, "sample", "np.random.choice(range(vocab_size), p=y.ravel())",
                                "int(np.argmax(y))")
    text = lambda nb: nbformat.writes(nb) + "\n"
    return {
        "correct": (NOTEBOOK, text(variant())),
        "wrong_sample": (NOTEBOOK, text(variant(argmax))),
        "syntax_error": (NOTEBOOK, text(variant(lambda s: _append(s, "optimize", "if loss > 0\n    print(loss)")))),
        "raises": (NOTEBOOK, text(variant(lambda s: _replace(
            s, "clip", "def clip(gradients, maxValue):", "def clip(gradients, maxValue):\n    raise ValueError('not finished')")))),
        "endless_loop": (NOTEBOOK, text(variant(lambda s: _append(s, "model", "while True:\n    pass")))),
        "kernel_dies": (NOTEBOOK, text(variant(lambda s: _append(s, "optimize", "import os\nos._exit(1)")))),
        "invalid_json": (NOTEBOOK, text(variant())[:5000]),
        "edited_locked_cell": (NOTEBOOK, text(edit_locked(variant(argmax)))),
        "deleted_test_cell": (NOTEBOOK, text(delete_tests(variant(argmax)))),
        "renamed_notebook": (f"{ASSIGNMENT}-Copy1.ipynb", text(variant())),
    }


def write_demo_submissions(target=DEMO_SUBMISSIONS):
    """Write every demo submission as target/<student>/<assignment>/<file>."""
    if Path(target).exists():
        shutil.rmtree(target)
    for student, (name, content) in demo_notebooks().items():
        folder = Path(target) / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / name).write_text(content)
    return Path(target)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "demo", help="grade the bundled demo submissions and show where the report is",
        description="Grade the demo submissions in utils/demo_submissions/ into this course "
                    "(gradebook.db, autograded/, feedback/, grades.csv, report.html).\n"
                    "Examples:\n  python -m utils demo\n  python -m utils demo --regenerate",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    parser.add_argument("--regenerate", action="store_true",
                        help="rewrite the demo submissions from the current release, then stop")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    parser.set_defaults(run=run)


def run(args):
    if args.regenerate:
        print(f"wrote {write_demo_submissions()}")
        return
    from .grade import finish, grade

    outcomes, graded_now, notices = grade(ROOT, ASSIGNMENT, DEMO_SUBMISSIONS, jobs=args.jobs)
    paths = finish(ROOT, ASSIGNMENT, outcomes, graded_now, notices)
    print(f"\nopen the class report: {paths['report'].as_uri()}")
