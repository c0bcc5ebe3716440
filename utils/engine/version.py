"""What a recorded grade depends on, and why a student is graded again.

A grade stands while everything it came from is unchanged: the submission, the assignment as
the instructor wrote it (notebooks with their hidden tests, helper files, data, weights), the
kit's grading code, the course's grading settings (time limits, sandbox caps: nbgrader_config)
and whether the sandbox was on. Each is kept as a digest with the outcome, so that a run can say
which of them changed.
"""
import hashlib
import json
from pathlib import Path

ENGINE = Path(__file__).resolve().parent
SETTINGS_FILES = ("nbgrader_config.py", "nbgrader_config.json")
# Settings that say where grades are kept or where grading runs, not what a grade is: changing
# them (moving the gradebook to PostgreSQL, grading on a cluster) regrades no one.
WHERE_NOT_WHAT = {"CourseDirectory": {"db_url", "root"}, "Exchange": None,
                  "Grading": {"scheduler", "gradebook_wait", "zip_pattern"}}


def _digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


def folder_digests(folder):
    """{relative path: digest} of the regular files under folder (caches left out)."""
    folder = Path(folder)
    return {str(path.relative_to(folder)): _digest(path.read_bytes())
            for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.is_symlink()
            and not {"__pycache__", ".ipynb_checkpoints"} & set(path.relative_to(folder).parts)}


def kit_digest():
    """A digest of the kit's grading code (utils/engine) as installed here."""
    kit = hashlib.sha256()
    for path in sorted(ENGINE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".json") and "__pycache__" not in path.parts:
            kit.update(str(path.relative_to(ENGINE)).encode() + b"\0" + path.read_bytes())
    return kit.hexdigest()[:16]


def grading_inputs(source, course_root, sandbox):
    """What every grade of this run depends on besides the submission: {"assignment": {file:
    digest}, "kit": digest, "settings": digest, "sandbox": bool}. source: the assignment's source
    folder as released for this run."""
    return {"assignment": folder_digests(source), "kit": kit_digest(),
            "settings": settings_digest(course_root), "sandbox": bool(sandbox)}


def settings_digest(course_root):
    """A digest of the course's nbgrader settings that can change a grade (all of
    nbgrader_config.py and nbgrader_config.json as loaded, less WHERE_NOT_WHAT)."""
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    values = {}
    for name, loader in zip(SETTINGS_FILES, (PyFileConfigLoader, JSONFileConfigLoader)):
        if not (Path(course_root) / name).is_file():
            continue
        config = loader(name, path=str(course_root)).load_config()
        for section, options in config.items():
            left_out = WHERE_NOT_WHAT.get(section, set())
            if left_out is None:
                continue
            for option, value in options.items():
                if option not in left_out:
                    values[f"{name}:{section}.{option}"] = repr(value)
    return _digest(json.dumps(values, sort_keys=True).encode())


def run_digest(inputs, submission_digest):
    """The one digest that says whether a recorded grade still stands."""
    return _digest(json.dumps([inputs, submission_digest], sort_keys=True).encode())


def why_again(before, inputs, submission_digest):
    """Why a student graded before (before: the inputs and submission digest recorded with the
    outcome, or None) is graded again, in a few words."""
    if not before:
        return "first grading"
    reasons = []
    if before.get("submission") != submission_digest:
        reasons.append("the submission changed")
    old, new = before.get("inputs", {}), inputs
    files = old.get("assignment", {})
    changed = sorted(name for name in set(files) | set(new["assignment"])
                     if files.get(name) != new["assignment"].get(name))
    if changed:
        shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
        reasons.append(f"the assignment changed ({shown})")
    if old.get("kit") != new["kit"]:
        reasons.append("the kit's grading code changed")
    if old.get("settings") != new["settings"]:
        reasons.append("the course's grading settings changed (nbgrader_config)")
    if old.get("sandbox") != new["sandbox"]:
        reasons.append("the sandbox was " + ("turned on" if new["sandbox"] else "turned off"))
    return "; ".join(reasons) or "regraded on request"
