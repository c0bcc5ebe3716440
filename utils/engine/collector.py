"""Run a notebook's code outside Jupyter and report, as JSON, what the graded checks need.

Run by path, with nothing of the kit importable: ``python -I collector.py MODE JOB`` in a folder
holding the notebook's helper files (rnn_utils.py, checks.py, data), JOB being a JSON file
there. It imports only the standard library, numpy and the assignment's own ``checks`` module,
each before any notebook code runs. Messages are lines of JSON: answers go to what was stdout
when the process started, the grader's replies come on stdin (the notebook's own printing goes
nowhere, and its input() reads nothing).

Modes:

``reference``
    The instructor's notebook, every code cell in order. Its hidden test cells declare each
    exercise's checks (``checks.grade``); the collector answers one message with each
    declaration, the grade cell that made it, and the reference's results on every case.

``student``
    A submission's code cells, in order, but not its graded test cells. Where the hidden test
    cell of a declared exercise stands, the collector calls the student's function on the
    declared cases, answers ``{"observed": NAME, "observations": [...]}`` and waits for the
    grader's next line, ``{"reference": CODE}``: the instructor's version of that function,
    which then replaces the student's, as the hidden test cell does in the notebook. The
    grader sends it only after it has the observations, so the student's code never runs
    beside the reference of the exercise it is judged on.

Every cell and every exercise has the time limit the job gives; whatever a cell raises is
noted and the next cell runs, as in nbgrader's own execution.
"""
import builtins
import json
import os
import signal
import sys
import time

# Taken before any notebook code runs: a notebook that replaces json.dumps or os.write does not
# change what the collector sends.
_dumps, _loads = json.dumps, json.loads


class OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that notebook code catching Exception misses it."""


def _on_alarm(signum, frame):
    raise OutOfTime()


def one_line(error):
    try:
        text = str(error)
    except BaseException:
        text = "(message unavailable)"
    lines = text.strip().splitlines()
    return (type(error).__name__ + (": " + lines[0] if lines else ""))[:300]


def guarded(action, seconds):
    """(value, None), or (None, what went wrong in a few words); time limited."""
    if seconds <= 0:
        return None, "was not run: the time budget was used up"
    try:
        try:
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return action(), None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except OutOfTime:
        return None, "gave no result within %g s" % seconds
    except BaseException as error:
        return None, "raised " + one_line(error)


class ShellStandIn:
    """What notebook code may ask of IPython: %time, %%time and %%capture run their code;
    shell commands and every other magic do nothing."""

    def __init__(self, namespace):
        self.user_ns = namespace

    def run_line_magic(self, name, line, *args, **kwargs):
        if name == "time":
            exec(compile(line, "<magic>", "exec"), self.user_ns)

    def run_cell_magic(self, name, line, cell, *args, **kwargs):
        if name in ("time", "capture"):
            exec(compile(cell, "<magic>", "exec"), self.user_ns)

    def getoutput(self, *args, **kwargs):
        return []

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class Channel:
    """The grader's lines in, ours out, on private copies of the standard streams; the notebook
    gets /dev/null for all three."""

    def __init__(self):
        self.incoming = os.fdopen(os.dup(0), "r")
        self.outgoing = os.fdopen(os.dup(1), "w")
        self._readline, self._write, self._flush = (self.incoming.readline, self.outgoing.write,
                                                    self.outgoing.flush)
        nothing = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(nothing, fd)

    def receive(self):
        line = self._readline()
        return _loads(line) if line.strip() else None

    def send(self, message):
        self._write(_dumps(message) + "\n")
        self._flush()


def new_namespace():
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": lambda *a, **k: None}
    shell = ShellStandIn(namespace)
    namespace["get_ipython"] = lambda: shell
    return namespace


def run_cell(code, label, namespace, seconds, errors):
    _, error = guarded(lambda: exec(compile(code, label, "exec"), namespace), seconds)
    if error:
        errors.append(f"{label} {error}")


def reference(job, channel, checks):
    """Run the instructor's notebook; answer with every exercise its hidden tests declared."""
    namespace, errors, exercises = new_namespace(), [], []
    for index, grade_id, code in job["cells"]:
        known = set(checks.DECLARED)
        run_cell(code, f"cell {index}", namespace, job["cell_seconds"], errors)
        for name in checks.DECLARED:
            if name not in known:
                exercises.append({"name": name, "cell": grade_id, **checks.DECLARED[name]})
    channel.send({"exercises": exercises, "cell_errors": errors})


def student(job, channel, checks):
    """Run a submission; observe each declared exercise where its hidden test cell stands."""
    namespace, errors = new_namespace(), []
    started = time.monotonic()

    def left(seconds):
        return min(seconds, job["budget"] - (time.monotonic() - started))

    for step in job["steps"]:
        if "code" in step:
            run_cell(step["code"], f"cell {step['index']}", namespace, left(job["cell_seconds"]), errors)
            continue
        declaration, name = step["exercise"], step["exercise"]["name"]
        function = namespace.get(name)
        observations, error = guarded(
            lambda: [checks.observe(function, case, declaration, namespace) for case in declaration["cases"]],
            left(job["cell_seconds"]))
        channel.send({"observed": name, "observations": observations, "error": error})
        answer = channel.receive() or {}
        if answer.get("reference"):
            run_cell(answer["reference"], f"the instructor's {name}", namespace, left(job["cell_seconds"]), errors)
            if f"_reference_{name}" in namespace:
                namespace[name] = namespace[f"_reference_{name}"]
    channel.send({"done": True, "cell_errors": errors[:50]})


def main(mode, job_file):
    channel = Channel()
    sys.path.insert(0, os.getcwd())
    import checks   # the assignment's own, before any notebook code can change it
    with open(job_file) as handle:
        job = _loads(handle.read())
    os.unlink(job_file)
    {"reference": reference, "student": student}[mode](job, channel, checks)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
