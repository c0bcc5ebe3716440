"""The notebook's checks: call your functions, compare their results, say what differs.

Visible check cells use ``run`` and ``expect``. Each exercise's graded checks are declared once,
as an ``Exercise``: the function's name, the instructor's version (the reference), the cases it
is called on, what of each call is compared and how closely, and the rules every result must
follow. ``grade`` runs such a declaration in the notebook. The grader re-runs the same
declaration outside the notebook's kernel, with the same cases, comparisons and rules, so both
reach the same verdict on the same results.

Everything compared is plain data (``plain``): numbers, strings, lists and dicts; an array
becomes ``{"__array__": [shape, values, kind]}``. Inputs go through the same conversion before
each call, so every call gets fresh copies that are the same wherever the check runs.
"""
import contextlib
import inspect
import io
import os
import warnings

import numpy as np

MAX_ENTRIES = 2_000_000      # numbers in one plain value; more is an error, not a slow grader
MAX_CALLS = 500              # calls recorded by Exercise(trace=...)


class CheckFailed(AssertionError):
    """A visible check failed; Jupyter shows its one-line message instead of a traceback."""

    label = "Check failed"

    def _render_traceback_(self):
        return [f"\x1b[0;31m{self.label}:\x1b[0m {self}"]


class NotWrittenYet(CheckFailed):
    """The exercise still raises NotImplementedError."""

    label = "Not written yet"


def quiet_while_graded():
    """While nbgrader runs the notebook, keep warnings off stderr: nbgrader gives no points to a
    graded cell that writes to stderr, and a harmless RuntimeWarning must not cost any."""
    if os.environ.get("NBGRADER_EXECUTION"):
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")


# ------------------------------------------------------------------ visible checks
def run(name, call):
    """call() for a visible check of the exercise `name`, with one-line messages when the
    exercise is not there yet (a NameError for it, or its NotImplementedError)."""
    try:
        return call()
    except NotImplementedError:
        raise NotWrittenYet(f"{name} is not written yet: fill in the cell above, then run it") from None
    except NameError as error:
        if getattr(error, "name", None) == name:
            raise CheckFailed(f"{name} is not defined: run the cell with its code first") from None
        raise


def expect(got, expected, tolerance=1e-8):
    """Print each value of got ({name: value}), then fail on the first that differs from
    expected ({name: number}) by more than tolerance."""
    for name, value in got.items():
        print(f"{name} = {value}")
    for name, want in expected.items():
        value = np.asarray(got[name], dtype=float).item() if np.size(got[name]) == 1 else None
        if value is None or not abs(value - want) <= tolerance:
            raise CheckFailed(f"{name}: expected {want}, got {got[name]}")


# ---------------------------------------------------------------------- plain data
def plain(value, _budget=None):
    """value as plain JSON-ready data (see the module docstring); TypeError for anything else."""
    budget = [MAX_ENTRIES] if _budget is None else _budget
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, np.ndarray):
        kind = "i" if value.dtype.kind in "iub" else "f"
        array = np.array(value, dtype=int if kind == "i" else float)  # a base ndarray copy
        budget[0] -= array.size
        if budget[0] < 0:
            raise ValueError(f"more than {MAX_ENTRIES} numbers to compare")
        return {"__array__": [list(array.shape), array.ravel().tolist(), kind]}
    if isinstance(value, dict):
        items = list(dict.items(value))
        if all(isinstance(key, str) and not key.startswith("__") for key, _ in items):
            return {str.__str__(key): plain(item, budget) for key, item in items}
        return {"__dict__": [[plain(key, budget), plain(item, budget)] for key, item in items]}
    if isinstance(value, (list, tuple)):
        items = list.copy(value) if isinstance(value, list) else tuple.__iter__(value)
        budget[0] -= 1
        converted = [plain(item, budget) for item in items]
        return converted if isinstance(value, list) else {"__tuple__": converted}
    raise TypeError(f"a value of type {type(value).__name__} cannot be compared")


def restore(data):
    """The Python value of plain data: arrays become new numpy arrays."""
    if isinstance(data, list):
        return [restore(item) for item in data]
    if isinstance(data, dict):
        if "__array__" in data:
            shape, values, kind = data["__array__"]
            return np.array(values, dtype=int if kind == "i" else float).reshape(shape)
        if "__tuple__" in data:
            return tuple(restore(item) for item in data["__tuple__"])
        if "__dict__" in data:
            return {_hashable(restore(key)): restore(item) for key, item in data["__dict__"]}
        return {key: restore(item) for key, item in data.items()}
    return data


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


# --------------------------------------------------------------------- comparisons
class Comparison:
    """How a plain result is compared with the reference's; describe() gives it as plain data."""

    def describe(self):
        return {"kind": type(self).__name__, **vars(self)}

    def __call__(self, got, want):
        """None when got matches want, else what differs, in a few words."""
        raise NotImplementedError


class Close(Comparison):
    """Numbers within tolerance * max(1, |reference|) of the reference's; everything else equal."""

    def __init__(self, tolerance=1e-9):
        self.tolerance = float(tolerance)

    def __call__(self, got, want):
        return _difference(got, want, self.tolerance, [])


class Same(Close):
    """Exactly the reference's result."""

    def __init__(self):
        super().__init__(0.0)

    def describe(self):
        return {"kind": "Same"}


class Prefix(Comparison):
    """The first `length` items of a list are exactly the reference's (what follows them may
    depend on rounding, see the notebook's seeded sample)."""

    def __init__(self, length):
        self.length = int(length)

    def __call__(self, got, want):
        if not isinstance(got, list):
            return f"the result is {_kind(got)}, expected a list"
        if len(got) < min(self.length, len(want)):
            return f"expected at least {min(self.length, len(want))} items, got {len(got)}"
        return _difference(got[:self.length], want[:self.length], 0.0, [])


def _kind(value):
    if isinstance(value, dict):
        if "__array__" in value:
            return f"an array of shape {tuple(value['__array__'][0])}"
        return "a tuple" if "__tuple__" in value else "a dict"
    return {list: "a list", str: "a string", bool: "a bool", type(None): "None"}.get(
        type(value), "a number")


def _where(path):
    """['dWax', 0, 1] -> 'dWax[0][1]'; [3] -> 'index 3'."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return ("index " + text[1:-1] if text.startswith("[") and text.count("[") == 1 else text) or "the result"


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _difference(got, want, tolerance, path):
    """What differs between plain got and plain want (want decides the structure), or None."""
    if isinstance(want, dict) and "__array__" in want:
        if not (isinstance(got, dict) and "__array__" in got):
            return f"{_where(path)} is {_kind(got)}, expected an array"
        (shape, values, _), (want_shape, want_values, _) = got["__array__"], want["__array__"]
        if list(shape) != list(want_shape):
            return f"{_where(path)} has shape {tuple(shape)}, expected {tuple(want_shape)}"
        mine, theirs = np.array(values, dtype=float), np.array(want_values, dtype=float)
        wrong = np.flatnonzero(~(np.abs(mine - theirs) <= tolerance * np.maximum(1.0, np.abs(theirs))))
        if len(wrong) == 0:
            return None
        at = [int(i) for i in np.unravel_index(wrong[0], tuple(want_shape))] if want_shape else []
        more = f" ({len(wrong)} of {len(theirs)} entries differ)" if len(theirs) > 1 else ""
        return (f"{_where(path + at)}: expected {theirs[wrong[0]]:.10g}, "
                f"got {mine[wrong[0]]:.10g}{more}")
    if isinstance(want, dict) and "__tuple__" in want:
        if not (isinstance(got, dict) and "__tuple__" in got):
            return f"{_where(path)} is {_kind(got)}, expected a tuple"
        return _difference(got["__tuple__"], want["__tuple__"], tolerance, path)
    if isinstance(want, dict):
        if not isinstance(got, dict) or "__array__" in got or "__tuple__" in got:
            return f"{_where(path)} is {_kind(got)}, expected a dict"
        pairs = dict(map(tuple, got.get("__dict__", []))) if "__dict__" in want else got
        wanted = dict(map(tuple, want["__dict__"])) if "__dict__" in want else want
        for key, item in wanted.items():
            if key not in pairs:
                return f"{_where(path) + ' ' if path else 'the result '}has no {key!r}"
            problem = _difference(pairs[key], item, tolerance, path + [key])
            if problem:
                return problem
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return f"{_where(path)} is {_kind(got)}, expected a list"
        for index, (mine, theirs) in enumerate(zip(got, want)):
            problem = _difference(mine, theirs, tolerance, path + [index])
            if problem:
                return problem
        if len(got) != len(want):
            return f"{_where(path)} has {len(got)} items, expected {len(want)}"
        return None
    if _number(want):
        if not _number(got):
            return f"{_where(path)} is {_kind(got)}, expected a number"
        if abs(got - want) <= tolerance * max(1.0, abs(want)):
            return None
        return f"{_where(path)}: expected {want:.10g}, got {got:.10g}"
    return None if got == want and type(got) is type(want) else f"{_where(path)}: expected {want!r}, got {got!r}"


# --------------------------------------------------------------------------- rules
class Rule:
    """A property every result of an exercise must have, whatever the reference gives.

    check(result, args) gets the plain result and the plain arguments of one call and returns
    None or what is wrong."""

    description = ""

    def describe(self):
        return {"kind": type(self).__name__, **vars(self)}

    def check(self, result, args):
        raise NotImplementedError


class SampledName(Rule):
    """What the sampling loop of the assignment can return: indices (ints) of the vocabulary
    args[1], drawn until the newline is drawn or `limit` characters were drawn; at the limit
    the newline is appended, also when the last draw was the newline itself."""

    def __init__(self, limit=50):
        self.limit = int(limit)
        self.description = (f"every list is a name: indices of the vocabulary, drawn until the "
                            f"newline or {self.limit} characters, then the newline")

    def check(self, result, args):
        vocabulary = restore(args[1])
        newline = vocabulary["\n"]
        if not isinstance(result, list) or not result:
            return f"the result is {_kind(result)}" + (" (empty)" if result == [] else "")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in result):
            return "the indices must be ints"
        if not all(0 <= i < len(vocabulary) for i in result):
            return f"an index outside range(0, {len(vocabulary)})"
        if result[-1] != newline:
            return f"the list does not end with the newline index {newline}"
        drawn = result[:-1]
        if len(drawn) > self.limit:
            return f"{len(drawn)} characters before the final newline, more than {self.limit}"
        early = drawn[:self.limit - 1] if len(drawn) == self.limit else drawn
        if newline in early:
            return f"the newline index {newline} is drawn at index {early.index(newline)} but the list goes on"
        return None


KINDS = {cls.__name__: cls for cls in (Close, Same, Prefix, SampledName)}


def rebuild(description):
    """The Comparison or Rule that describe() gave as plain data."""
    fields = dict(description)
    kind = KINDS[fields.pop("kind")]
    fields.pop("description", None)
    return kind(**fields)


# ----------------------------------------------------------------------- exercises
class Exercise:
    """The graded checks of one exercise, declared once.

    name: the function's name in the notebook; reference: the instructor's function;
    compare: how a result is compared with the reference's (per case, unless the case says);
    observe: {label: part} of each call to compare, part being "result", "result[i]" or
    "args[i]" (an argument after the call, for functions that change their inputs), or
    [part, [key, ...]] to compare only those keys of a dict;
    rules: Rule objects every result must follow, each a check of its own;
    trace: (name, argument, ...) of a notebook function (e.g. "optimize") whose calls during
    each call are recorded (only the named arguments; all when none are named), so that a
    difference can be shown at the first call that differs.
    """

    def __init__(self, name, reference, compare=None, observe=None, rules=(), trace=None):
        self.name, self.reference = name, reference
        self.trace = list(trace) if trace else None
        self.compare = compare or Close()
        self.observe = dict(observe or {"the result": "result"})
        self.rules = list(rules)
        self.cases = []

    def case(self, description, *args, compare=None, **kwargs):
        """Add a check: the function called on args and kwargs (copied for every call)."""
        self.cases.append({"description": description, "args": plain(list(args)),
                           "kwargs": plain(kwargs), "compare": (compare or self.compare).describe()})
        return self

    def describe(self):
        return {"name": self.name, "observe": self.observe, "trace": self.trace,
                "rules": [rule.describe() for rule in self.rules], "cases": self.cases}


DECLARED = {}   # exercise name -> {"exercise": describe(), "points", "want", "checks"}: what grade() ran


def observe(function, case, declaration, namespace):
    """Call function on fresh copies of the case's inputs, quietly; the plain observation:
    {"parts": {label: plain value}, "calls": [...]} or {"error": "..."}."""
    if not callable(function):
        return {"error": f"{declaration['name']} is not defined"}
    args, kwargs = restore(case["args"]), restore(case["kwargs"])
    calls, trace = [], declaration.get("trace") or [None]
    traced = trace[0]
    original = namespace.get(traced) if traced else None
    if callable(original):
        namespace[traced] = _recorder(original, calls, trace[1:])
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            result = function(*args, **kwargs)
            parts = {label: plain(_part(where, result, args)) for label, where in declaration["observe"].items()}
        observation = {"parts": parts}
    except Exception as error:
        observation = {"error": one_line(error)}
    finally:
        if callable(original):
            namespace[traced] = original
    if traced:
        observation["calls"] = calls
    return observation


def one_line(error):
    message = str(error).strip().splitlines()
    return (f"raised {type(error).__name__}" + (f": {message[0]}" if message else ""))[:300]


def _part(where, result, args):
    """The part of a call that `where` names: "result", "result[i]" or "args[i]", or a list
    [one of those, [key, ...]] for only those keys of a dict."""
    where, keys = (where, None) if isinstance(where, str) else where
    if where == "result":
        value = result
    else:
        source, _, index = where.partition("[")
        index = int(index.rstrip("]"))
        try:
            value = (result if source == "result" else args)[index]
        except (IndexError, KeyError, TypeError):
            what = "the result" if source == "result" else "the arguments"
            raise LookupError(f"{what} has no item {index}") from None
    if keys is None:
        return value
    if not isinstance(value, dict):
        raise TypeError(f"{where} is a {type(value).__name__}, not a dict")
    missing = [key for key in keys if key not in value]
    if missing:
        raise LookupError(f"{where} has no {missing[0]!r}")
    return {key: value[key] for key in keys}


def _recorder(function, calls, names):
    """function, noting the arguments called `names` (all if none) of its first calls in calls."""
    signature = inspect.signature(function)

    def recorded(*args, **kwargs):
        if len(calls) < MAX_CALLS:
            try:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                calls.append(plain({name: value for name, value in bound.arguments.items()
                                    if not names or name in names}))
            except (TypeError, ValueError):
                calls.append({"arguments": "could not be read"})
        return function(*args, **kwargs)
    recorded.__name__ = function.__name__
    return recorded


def verdict(declaration, got, want):
    """[(check description, None or what went wrong)] for one exercise: one check per case,
    then one per rule. got, want: the observations of the student's and the reference's calls,
    one per case, in order."""
    checks = []
    for case, mine, theirs in zip(declaration["cases"], got, want):
        try:
            problem = _case_problem(case, declaration, mine, theirs)
        except Exception:   # a result whose plain form is malformed
            problem = "the result could not be read"
        checks.append((case["description"], problem))
    for described in declaration["rules"]:
        rule = rebuild(described)
        checks.append((rule.description, _rule_problem(rule, declaration["cases"], got)))
    return checks


def _rule_problem(rule, cases, got):
    """The first case whose result breaks the rule, and how, or None."""
    for case, mine in zip(cases, got):
        if "error" in mine:
            return f"{case['description']}: {mine['error']}"
        try:
            problem = rule.check(mine["parts"].get("the result"), case["args"])
        except Exception:   # a result whose plain form is malformed
            problem = "the result could not be read"
        if problem:
            return f"{case['description']}: {problem}"
    return None


def _case_problem(case, declaration, mine, theirs):
    if not isinstance(mine, dict):
        return "no result"
    if "error" in theirs:
        return f"the reference could not be run ({theirs['error']})"
    if "error" in mine:
        return str(mine["error"])[:300]
    compare = rebuild(case["compare"])
    single = len(declaration["observe"]) == 1
    for label in declaration["observe"]:
        if label not in mine.get("parts", {}):
            return f"{label}: not observed"
        problem = compare(mine["parts"][label], theirs["parts"][label])
        if problem:
            problem = problem if single else f"{label}: {problem}"
            if declaration.get("trace"):
                problem += "; " + _first_call_difference(declaration["trace"][0], mine.get("calls"),
                                                         theirs.get("calls", []))
            return problem
    return None


def _first_call_difference(name, got, want):
    if not got:
        return f"it did not call {name}, so no step can be shown"
    for number, (mine, theirs) in enumerate(zip(got, want)):
        problem = _difference(mine, theirs, 1e-8, [])
        if problem:
            return f"call {number} of {name}: {problem}"
    if len(got) != len(want):
        return f"{name} was called {len(got)} times, expected {len(want)}"
    return f"every call of {name} matches the reference's"


def grade(exercise, namespace, points):
    """Run an exercise's checks in the notebook: print one line per check and return the points
    earned (each check an equal share). Afterwards the notebook's function of that name is the
    reference, so that each exercise is graded on its own."""
    declaration = exercise.describe()
    student = namespace.get(exercise.name)
    got = [observe(student, case, declaration, namespace) for case in exercise.cases]
    want = [observe(exercise.reference, case, declaration, namespace) for case in exercise.cases]
    checks = verdict(declaration, got, want)
    for line in report_lines(checks):
        print(line)
    DECLARED[exercise.name] = {"exercise": declaration, "points": points, "want": want, "checks": checks}
    namespace[exercise.name] = exercise.reference
    return score(checks, points)


def report_lines(checks):
    return [f"ok    {what}" if problem is None else f"FAIL  {what}: {problem}" for what, problem in checks]


def score(checks, points):
    return round(points * sum(problem is None for _, problem in checks) / len(checks), 2)
