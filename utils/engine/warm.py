"""Imported once per grading run by the server that units are forked from (see
utils.engine.runner.unit_processes): work every unit would otherwise repeat is done there, and
each unit inherits it.

- nbformat's relaxed validator is compiled once and kept (utils/engine/validation.py).
- the feedback page's templates are compiled into feedback.COMPILED_TEMPLATES by rendering an
  empty page.
- nbgrader's Execute classes with the sandbox (sandbox._execute_classes) are made.
"""
import nbformat
from nbformat import validator

from . import sandbox
from .feedback import FeedbackExporter, feedback_config
from .validation import keep_relaxed_validators


def warm():
    keep_relaxed_validators()
    validator.get_validator(relax_add_props=True)
    resources = {"nbgrader": {"notebook": "warm", "score": 0.0, "max_score": 0.0, "late_penalty": 0.0}}
    FeedbackExporter(config=feedback_config()).from_notebook_node(nbformat.v4.new_notebook(),
                                                                   resources=resources)
    sandbox._execute_classes()


warm()
