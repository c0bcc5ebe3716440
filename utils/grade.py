"""``python -m utils grade``: autograde every submission, then grades.csv, feedback and a report.

Each submission is a unit of work (utils/unit.py) run in a scratch course of its own that holds
only the released assignment's helper files, a gradebook with the assignment and that one
submission. Results are recorded in the course gradebook one student at a time, so a run that is
killed loses at most the submissions in flight, and running grade again finishes the job.
"""
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import psutil

from . import ASSIGNMENT, ROOT, KitError, judge, unit
from .gradebook import assignment_checksums, backup, check_integrity, course_lock, record
from .release import nbgrader_env, release_in_scratch
from .sandbox import Limits, release_command, sandbox_problem, wrap_command
from .settings import load_settings
from .submissions import grade_id

STATUSES = ("graded", "timed out", "kernel died", "invalid notebook", "missing notebook",
            "grading failed")


@dataclass
class Outcome:
    """What grading one submission gave. exercises: {exercise: [score, max_score]}."""
    student: str
    status: str
    score: float
    max_score: float
    exercises: dict
    flags: list = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    digest: str = ""
    sandboxed: bool = True
    cell_scores: dict = field(default_factory=dict)


@dataclass
class Assignment:
    """The released assignment, as grading needs it (built once per run in a scratch course)."""
    name: str
    course: Path          # scratch course with source/ (no notebooks), release/ and gradebook.db
    notebooks: dict       # {notebook name: released NotebookNode} of the graded notebooks
    cells: dict           # {grade cell name: max points}

    def exercise_of(self, cell):
        base, _, suffix = cell.rpartition("_")
        return base if suffix in ("visible", "hidden", "tests") and base else cell

    def zero(self):
        exercises = {}
        for cell, points in self.cells.items():
            exercises.setdefault(self.exercise_of(cell), [0.0, 0.0])[1] += points
        return exercises


def prepare_assignment(root, name, scratch):
    """Release the assignment into a scratch course (gradebook included) and describe it."""
    course = Path(scratch) / "template"
    release_in_scratch(root, name, course)
    notebooks, cells = {}, {}
    for path in sorted((course / "release" / name).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        graded = {grade_id(c): float(c.metadata.nbgrader.get("points", 0)) for c in notebook.cells
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
        if graded:
            notebooks[path.stem] = notebook
            cells.update(graded)
    return Assignment(name, course, notebooks, cells)


def find_submissions(folder, assignment):
    """{student: submission folder} for folder/<student>/<assignment>/."""
    folder = Path(folder)
    if not folder.is_dir():
        raise KitError(f"no submissions folder {folder}")
    return {path.parent.name: path for path in sorted(folder.glob(f"*/{assignment}"))
            if path.is_dir() and not path.parent.name.startswith(".")}


def digest(folder):
    """A hash of every file of a submission (names and contents)."""
    sha = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        sha.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:16]


def inspect(assignment, folder):
    """Check a submission before running it: (status or None, message, flags).

    Flags name locked cells the student changed or deleted; nbgrader restores them when grading,
    but it also reports every hidden-test cell as changed, which buries real tampering.
    """
    flags, found = [], sorted(p.name for p in Path(folder).glob("*.ipynb"))
    for name, released in assignment.notebooks.items():
        path = Path(folder) / f"{name}.ipynb"
        if not path.exists():
            other = f"found {', '.join(found)}" if found else "found no notebook"
            return "missing notebook", f"expected {name}.ipynb, {other}", flags
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            json.loads(text)
            submitted = nbformat.reads(text, as_version=4)
            nbformat.validate(submitted)
        except json.JSONDecodeError as error:
            return ("invalid notebook",
                    f"{path.name} is not valid JSON ({error.msg}, line {error.lineno})", flags)
        except Exception as error:
            line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
            return "invalid notebook", f"{path.name} is not a valid notebook: {line}", flags
        cells = {grade_id(c): c for c in submitted.cells if grade_id(c)}
        for cell in released.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not meta.get("locked"):
                continue
            if meta["grade_id"] not in cells:
                flags.append(f"deleted locked cell {meta['grade_id']}")
            elif cells[meta["grade_id"]].source.strip() != cell.source.strip():
                flags.append(f"edited locked cell {meta['grade_id']}")
    return None, "", flags


SANDBOX_CONFIG = """
# Added by the grader: every student kernel runs in a sandbox (utils/sandbox.py).
from utils.sandbox import sandboxed_autograde_preprocessors
c.Autograde.autograde_preprocessors = sandboxed_autograde_preprocessors()
"""


def make_unit_course(assignment, student, folder, scratch, sandbox=True):
    """A scratch course for one submission: config, gradebook, helper files, the submission."""
    course = Path(tempfile.mkdtemp(prefix="unit-", dir=scratch))
    template = assignment.course
    config = (template / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + (SANDBOX_CONFIG if sandbox else ""))
    shutil.copy(template / "gradebook.db", course)
    # Units get the helper files, never the instructor's notebooks.
    shutil.copytree(template / "source", course / "source", ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.copytree(folder, course / "submitted" / student / assignment.name,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def kill_tree(pid):
    """Kill a process and everything it started (kernels run in sessions of their own)."""
    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=5)


def unit_processes():
    """Processes for units, forked from a server that has nbgrader imported already (about 2 s
    saved per submission)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["utils.unit"])
    return context


def run_unit(course, assignment, student, timeout):
    """Run utils.unit for one scratch course; returns (result dict or None, timed_out)."""
    env = nbgrader_env()
    env.pop("PYTHONPATH", None)  # the student's kernel gets no path into the kit
    process = unit_processes().Process(target=unit.run_child, args=(course, assignment, student, env))
    process.start()
    process.join(timeout)
    timed_out = process.is_alive()
    kill_tree(process.pid)  # nothing the unit started may outlive it
    process.join()
    if timed_out:
        return None, True
    result_file = course / "result.json"
    if not result_file.exists():
        log = course / "unit.log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        return {"error": tail[0] if tail else f"grader exited with {process.exitcode}",
                "scores": {}, "cell_errors": {}, "log": []}, False
    return json.loads(result_file.read_text()), False


def judge_submission(assignment, folder, scratch, sandbox, limits):
    """Re-check the submission's functions outside its kernel (utils/judge.py): a Verdict."""
    workdir = Path(tempfile.mkdtemp(prefix="judge-", dir=scratch))
    shutil.copytree(assignment.course / "source" / assignment.name, workdir, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.ipynb"))
    notebook = Path(folder) / f"{judge.NOTEBOOK}.ipynb"
    shutil.copy(notebook, workdir / notebook.name)
    made = []

    def wrap(argv):
        made.append(wrap_command(argv, workdir, Limits(**limits), env=judge.collector_env()))
        return made[-1]

    try:
        return judge.judge_notebook(workdir / notebook.name, workdir, wrap=wrap if sandbox else None,
                                    source=assignment.course / "source")
    finally:
        for command in made:
            release_command(command)
        shutil.rmtree(workdir, ignore_errors=True)


def apply_verdict(outcome, verdict, assignment, cell_scores):
    """Grade an exercise on its real results when its hidden checks gave full marks but the
    judge's re-run of the student's functions (outside the kernel) fails: the checks were
    switched off from student code. Hidden checks cover every case the judge tries, so an
    honest solution cannot pass them all and fail the judge. Changes cell_scores ({cell: score})
    and the outcome in place."""
    for exercise in outcome.exercises:
        fraction = verdict.fractions.get(exercise, 1.0)
        cells = [c for c in assignment.cells if assignment.exercise_of(c) == exercise]
        hidden_full = [c for c in cells if c.endswith("_hidden")
                       and cell_scores.get(c, 0) >= assignment.cells[c] - 1e-9]
        if fraction >= 1.0 or not hidden_full:
            continue
        for cell in cells:
            cell_scores[cell] = min(cell_scores.get(cell, 0.0), round(fraction * assignment.cells[cell], 2))
        outcome.exercises[exercise][0] = sum(cell_scores[c] for c in cells)
        if verdict.error:  # e.g. a loop that only runs outside the kernel: review by hand
            outcome.flags.append(f"{exercise}: its results could not be re-checked outside the "
                                 f"notebook ({verdict.error}); scored 0, review by hand")
        else:
            reason = verdict.reasons.get(exercise) or "results differ"
            outcome.flags.append(f"{exercise}: notebook checks passed but its real results fail ({reason})")
    outcome.score = sum(score for score, _ in outcome.exercises.values())


def outcome_from(assignment, student, result, timed_out, flags, timeout, cell_timeout):
    """Turn a unit's result into a status and scores per exercise."""
    exercises = assignment.zero()
    max_score = sum(assignment.cells.values())
    if timed_out:
        return Outcome(student, "timed out", 0.0, max_score, exercises, flags,
                       f"grading stopped after the submission limit of {timeout} s")
    error = result.get("error")
    if error or not result.get("scores"):
        status = result.get("failure") if result.get("failure") in STATUSES else "grading failed"
        return Outcome(student, status, 0.0, max_score, exercises, flags,
                       (error or "nothing could be graded")[:300])
    cell_scores = {}
    for cell, (score, _) in result["scores"].items():
        if cell in assignment.cells:
            exercises[assignment.exercise_of(cell)][0] += score
            cell_scores[cell] = score
    cell_errors = result.get("cell_errors", {})
    timeouts = [cell for cell, text in cell_errors.items() if text.startswith("CellTimeoutError")]
    for cell in timeouts:
        cell_errors[cell] = f"stopped at the cell time limit ({cell_timeout} s)"
    status = "timed out" if timeouts else "graded"
    failed = [f"{cell}: {text}" for cell, text in cell_errors.items()]
    message = "; ".join(failed)[:500]
    score = sum(score for score, _ in exercises.values())
    return Outcome(student, status, score, max_score, exercises, flags, message, cell_scores=cell_scores)


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


def grade(root, assignment_name, submissions, jobs=1, progress=True, sandbox=True):
    """Grade every submission; returns (outcomes of the assignment's students, number graded now)."""
    from tqdm import tqdm

    course = Course(root)
    settings = course.settings
    if sandbox and sandbox_problem():
        raise KitError(f"cannot sandbox student code here: {sandbox_problem()}; to grade anyway "
                       "(only notebooks you trust) run again with --no-sandbox")
    limits = settings.sandbox_limits or {}
    Limits(**limits)  # a bad limit in nbgrader_config.py stops the run before any grading
    found = find_submissions(submissions, assignment_name)
    with course_lock(course.root), tempfile.TemporaryDirectory(prefix="grading-") as scratch:
        assignment = prepare_assignment(course.root, assignment_name, scratch)
        backup(course.gradebook)
        course.sync_assignment(assignment)
        # An outcome stays valid while both the submission and the released assignment are unchanged.
        version = hashlib.sha256(repr(sorted(assignment_checksums(
            assignment.course / "gradebook.db", assignment_name).items())).encode()).hexdigest()[:8]
        version += "" if sandbox else "-unsandboxed"
        todo = {}
        for student, folder in found.items():
            submission_digest = f"{digest(folder)}-{version}"
            if course.previous(assignment_name, student, submission_digest) is None:
                todo[student] = (folder, submission_digest)

        def work(student):
            folder, submission_digest = todo[student]
            started = time.monotonic()
            status, message, flags = inspect(assignment, folder)
            unit_course = None
            if status:
                outcome = Outcome(student, status, 0.0, sum(assignment.cells.values()),
                                  assignment.zero(), flags, message)
            else:
                unit_course = make_unit_course(assignment, student, folder, scratch, sandbox)
                result, timed_out = run_unit(unit_course, assignment_name, student,
                                             settings.submission_timeout)
                outcome = outcome_from(assignment, student, result, timed_out, flags,
                                       settings.submission_timeout, settings.cell_timeout)
                if outcome.status in ("graded", "timed out") and judge.NOTEBOOK in assignment.notebooks:
                    verdict = judge_submission(assignment, folder, scratch, sandbox, limits)
                    apply_verdict(outcome, verdict, assignment, outcome.cell_scores)
            outcome.sandboxed = sandbox
            outcome.seconds = round(time.monotonic() - started, 2)
            outcome.digest = submission_digest
            return outcome, unit_course, folder

        bar = tqdm(total=len(todo), desc="grading", unit="submission", disable=not progress or not todo)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(work, student) for student in todo]
            for future in as_completed(futures):
                outcome, unit_course, folder = future.result()
                course.store(assignment, outcome, unit_course, read_timestamp(folder))
                if unit_course:
                    shutil.rmtree(unit_course, ignore_errors=True)
                bar.update()
        bar.close()
        check_integrity(course.gradebook)
    return [o for o in course.outcomes(assignment_name) if o.student in found], len(todo)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "grade", help="autograde submissions; write grades.csv, feedback/ and a class report",
        description="Autograde every submission of an assignment with nbgrader, record the "
                    "grades in gradebook.db, export grades.csv, write feedback/<student>/ and "
                    "report.html.",
        epilog="examples:\n"
               "  python -m utils grade dinosaur_island\n"
               "  python -m utils grade dinosaur_island --submissions ~/Downloads/submitted --jobs 2\n"
               "  python -m utils grade dinosaur_island --zip export1.zip export2.zip",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    parser.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--submissions", metavar="DIR", type=Path,
                       help="folder laid out as DIR/<student>/<assignment>/ (default: submitted/)")
    where.add_argument("--zip", metavar="FILE", nargs="+", type=Path,
                       help="zip files exported by a learning-management system")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                        help="run student code without the sandbox (unsafe; only trusted notebooks)")
    parser.add_argument("--course", type=Path, default=ROOT,
                        help="course folder (default: this repository)")
    parser.set_defaults(run=run)


def run(args):
    if args.jobs < 1:
        raise KitError("--jobs must be at least 1")
    root = args.course.resolve()
    submissions = args.submissions or root / "submitted"
    if args.zip:
        from .collect import collect_zips
        submissions = collect_zips(root, args.assignment, args.zip)
    if not args.sandbox:
        print(UNSANDBOXED, file=sys.stderr)
    outcomes, graded_now = grade(root, args.assignment, submissions, jobs=args.jobs,
                                 sandbox=args.sandbox)
    if not outcomes:
        raise KitError(f"no submissions of {args.assignment} in {submissions} "
                       f"(expected {submissions}/<student>/{args.assignment}/)")
    finish(root, args.assignment, outcomes, graded_now)


UNSANDBOXED = ("WARNING: grading WITHOUT a sandbox (--no-sandbox): student code can read and "
               "change this course's files, the gradebook and the hidden tests")


def finish(root, assignment, outcomes, graded_now):
    """Write grades.csv and the report, then print the summary."""
    from .report import print_summary, write_outputs

    unsandboxed = [o.student for o in outcomes if not o.sandboxed]
    warnings = [f"{UNSANDBOXED}. Graded that way: {', '.join(unsandboxed)}."] if unsandboxed else []
    paths = write_outputs(root, assignment, outcomes, warnings)
    print_summary(outcomes, graded_now, paths)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return paths
