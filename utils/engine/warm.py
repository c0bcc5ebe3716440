"""Imported once per grading run by the server that units are forked from (see
utils.engine.runner.unit_processes): work every unit would otherwise repeat is done there, and
each unit inherits it.

- nbformat's relaxed validator, which nbconvert checks notebooks with after their
  preprocessors, is compiled once and kept: nbformat compiles its schema anew on every such
  check (about 70 ms each).
- the feedback page's templates are compiled into feedback.COMPILED_TEMPLATES by rendering an
  empty page.
- nbgrader's Execute classes with the sandbox (sandbox._execute_classes) are made.
"""
import functools

import nbformat
from nbformat import validator

from . import sandbox
from .feedback import FeedbackExporter, feedback_config

_get_validator = validator.get_validator


@functools.lru_cache(maxsize=None)
def _relaxed_validator(version, version_minor, name):
    return _get_validator(version, version_minor, relax_add_props=True, name=name)


def get_validator(version=None, version_minor=None, relax_add_props=False, name=None):
    """nbformat's get_validator, with the relaxed validators kept (they hold no state)."""
    if relax_add_props:
        return _relaxed_validator(version, version_minor, name)
    return _get_validator(version, version_minor, relax_add_props, name)


def warm():
    validator.get_validator = get_validator
    validator.get_validator(relax_add_props=True)
    resources = {"nbgrader": {"notebook": "warm", "score": 0.0, "max_score": 0.0, "late_penalty": 0.0}}
    FeedbackExporter(config=feedback_config()).from_notebook_node(nbformat.v4.new_notebook(),
                                                                   resources=resources)
    sandbox._execute_classes()


warm()
