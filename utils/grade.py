"""``python -m utils grade``: autograde every submission, then grades.csv, feedback and a report.

Each submission is graded on its own by the grading engine (utils/engine/runner.py) in a scratch
course that holds only the released assignment's helper files, a gradebook with the assignment
and that one submission. Results are recorded in the course gradebook one student at a time, so
a run that is killed loses at most the submissions in flight, and running grade again finishes
the job.
"""
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

from . import ASSIGNMENT, ROOT, KitError
from .engine.assignment import prepare_assignment
from .engine.gradebook import course_lock
from .engine.intake import digest, find_submissions
from .engine.records import Course
from .engine.cluster import graded, grading_cluster, worker_died
from .engine.sandbox import Limits, sandbox_problem
from .engine.task import assignment_bundle, failed, place_answer, submission_bytes, too_large
from .engine.version import grading_inputs, run_digest, why_again


def grade(root, assignment_name, submissions, jobs=1, progress=True, sandbox=True, db_url=None, names=None,
          regrade_all=False, scheduler=None):
    """Grade every submission; returns (outcomes of the assignment's students, the students graded
    in this run, warnings). db_url: the gradebook when not the course's configured one; names: what the intake
    knows of students' names, {student: {"first_name", "last_name", "email"}}; regrade_all: grade
    every submission again against the assignment as it is now, after a backup of the gradebook
    that is kept (the way to change an assignment whose cells nbgrader cannot change in place);
    scheduler: the Dask scheduler whose workers grade (default: c.Grading.scheduler, else a
    cluster of jobs workers on this machine, see utils/engine/cluster.py)."""
    from tqdm import tqdm

    course = Course(root, db_url)
    settings = course.settings
    scheduler = scheduler or settings.scheduler
    if sandbox and sandbox_problem():
        raise KitError(f"cannot sandbox student code here: {sandbox_problem()}; to grade anyway "
                       "(only notebooks you trust) run again with --no-sandbox")
    limits = settings.sandbox_limits or {}
    Limits(**limits)  # a bad limit in nbgrader_config.py stops the run before any grading
    found = find_submissions(submissions, assignment_name)
    warnings = []
    with course_lock(course.root), tempfile.TemporaryDirectory(prefix="grading-") as scratch:
        assignment = prepare_assignment(course.root, assignment_name, scratch)
        with course.recording():
            warnings += [w for w in [course.backup(keep=regrade_all)] if w]
            # schema, course and assignment, before any unit runs
            course.sync_assignment(assignment, regrade_all=regrade_all)
            course.publish(assignment)
            course.name_students(names)
            # A recorded outcome stands while the submission and everything else it was graded
            # with are unchanged (utils/engine/version.py).
            inputs = grading_inputs(assignment.course / "source" / assignment_name, course.root, sandbox)
            recorded = {o.student: o for o in course.outcomes(assignment_name)}
            todo = {}
            for student, folder in found.items():
                handed_in = course.handed_in(assignment_name, student, folder)
                submission = digest(folder)
                run = run_digest(inputs, submission)
                before = recorded.get(student)
                if before is None or before.digest != run:
                    why = why_again(before.graded_with if before else None, inputs, submission)
                    todo[student] = (folder, run, handed_in, {"inputs": inputs, "submission": submission}, why)

            with grading_cluster(scheduler, jobs) if todo else nullcontext() as client:
                bar = tqdm(total=len(todo), desc="grading", unit="submission", disable=not progress or not todo)
                try:
                    for batch in _graded(client, assignment, todo, course.root, settings, sandbox) if todo else ():
                        results = []
                        for student, outcome, placed in batch:
                            folder, run, handed_in, graded_with, why = todo[student]
                            outcome.digest, outcome.graded_with, outcome.regraded = run, graded_with, why
                            results.append((outcome, None, handed_in, folder, (names or {}).get(student), placed))
                        course.store_many(assignment, results)
                        bar.update(len(results))
                finally:
                    bar.close()  # before any error line, which then stands on a line of its own
            course.gradebook.check()
            outcomes = [o for o in course.outcomes(assignment_name) if o.student in found]
    return outcomes, sorted(todo), warnings


def _graded(client, assignment, todo, root, settings, sandbox):
    """Lists of (student, Outcome, whether its files are in the course) for the students of todo,
    as the cluster grades them; the files of each answer are written into the course at root as
    it comes in."""
    def work():
        for student, (folder, run, *_) in todo.items():
            submission = submission_bytes(folder)
            if submission is None:
                too_big.append(student)
            else:
                yield student, run, submission

    too_big = []
    for answers in graded(client, assignment_bundle(assignment), work(), settings, sandbox):
        yield [(student, place_answer(answer, assignment, student, root), True)
               if isinstance(answer, dict) else (student, failed(assignment, student, worker_died(answer)), False)
               for student, answer in answers]
    if too_big:
        yield [(student, too_large(assignment, student), False) for student in too_big]


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "grade", help="autograde submissions; write grades.csv, feedback/ and a class report",
        description="Autograde every submission of an assignment with nbgrader, record the "
                    "grades in gradebook.db, export grades.csv, write feedback/<student>/ and "
                    "report.html.",
        epilog="examples:\n"
               "  python -m utils grade dinosaur_island\n"
               "  python -m utils grade dinosaur_island --submissions ~/Downloads/submitted --jobs 2\n"
               "  python -m utils grade dinosaur_island --scheduler tcp://grader1.example.org:8786\n"
               "  python -m utils grade dinosaur_island --zip export1.zip export2.zip",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    parser.add_argument("assignment", nargs="?", default=ASSIGNMENT)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--submissions", metavar="DIR", type=Path,
                       help="folder laid out as DIR/<student>/<assignment>/ (default: submitted/)")
    where.add_argument("--zip", metavar="FILE", nargs="+", type=Path,
                       help="zip files exported by a learning-management system")
    parser.add_argument("--jobs", type=int, default=1,
                        help="submissions graded at once on this machine (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on the Dask cluster of this scheduler, e.g. tcp://HOST:8786 "
                             "(default: c.Grading.scheduler, else this machine)")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                        help="run student code without the sandbox (unsafe; only trusted notebooks)")
    parser.add_argument("--course", type=Path, default=ROOT,
                        help="course folder (default: this repository)")
    parser.add_argument("--regrade-all", action="store_true",
                        help="grade every submission again against the assignment as it is now "
                             "(after a backup of the gradebook that is kept), e.g. after cells were "
                             "added to or removed from a graded assignment")
    parser.add_argument("--db", metavar="URL",
                        help="gradebook database, e.g. postgresql+psycopg://USER@HOST/DATABASE "
                             "(default: c.CourseDirectory.db_url, else gradebook.db in the course)")
    parser.set_defaults(run=run)


def run(args):
    if args.jobs < 1:
        raise KitError("--jobs must be at least 1")
    root = args.course.resolve()
    submissions = args.submissions or root / "submitted"
    names = None
    if args.zip:
        from .collect import collect_zips, export_details
        submissions = collect_zips(root, args.assignment, args.zip)
        names = export_details(root, args.assignment)
    if not args.sandbox:
        print(UNSANDBOXED, file=sys.stderr)
    outcomes, graded_now, warnings = grade(root, args.assignment, submissions, jobs=args.jobs,
                                           sandbox=args.sandbox, db_url=args.db, names=names,
                                           scheduler=args.scheduler,
                                           regrade_all=args.regrade_all)
    if not outcomes:
        raise KitError(f"no submissions of {args.assignment} in {submissions} "
                       f"(expected {submissions}/<student>/{args.assignment}/)")
    finish(root, args.assignment, outcomes, graded_now, warnings)


UNSANDBOXED = ("WARNING: grading WITHOUT a sandbox (--no-sandbox): student code can read and "
               "change this course's files, the gradebook and the hidden tests")


def finish(root, assignment, outcomes, graded_now, notices=()):
    """Write grades.csv and the report, then print the summary and notices (warning lines)."""
    from .report import print_summary, write_outputs

    unsandboxed = [o.student for o in outcomes if not o.sandboxed]
    warnings = [f"{UNSANDBOXED}. Graded that way: {', '.join(unsandboxed)}."] if unsandboxed else []
    paths = write_outputs(root, assignment, outcomes, warnings)
    print_summary(outcomes, graded_now, paths)
    for warning in warnings:
        print(warning, file=sys.stderr)
    for notice in notices:
        print(f"warning: {notice}", file=sys.stderr)
    return paths
