"""The feedback page a student gets, rendered by nbgrader's GenerateFeedback with the kit's
template (``templates/kit_feedback``):

- the score summary names each exercise and its checks ("clip: visible check 1 / 1") instead
  of nbgrader's list of anonymous "Test cell" entries;
- long lines of code and output wrap instead of running off the page;
- maths is turned into MathML while the page is written, so it shows in any current browser
  with no script and no network (nbgrader's page loads MathJax from a CDN).

A submission that could not be graded at all gets a page of the same look that says why.
"""
import html
import os
import re
from pathlib import Path

import nbformat
from jinja2 import pass_context
from jinja2.bccache import BytecodeCache
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets.config import Config

from .outcome import CHECK_KINDS, exercise_of

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "kit_feedback"
IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)", re.IGNORECASE)
IMAGE_ALT = "an image the notebook showed (a figure or a picture)"


def nbgrader_templates():
    """nbgrader's own template folder (its 'feedback' template is the kit's base) and the
    folder of the Bootstrap stylesheet that page inlines."""
    import nbgrader
    formgrader = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    return formgrader / "templates", formgrader / "static" / "node_modules" / "bootstrap" / "dist" / "css"


def feedback_config():
    """Config that makes GenerateFeedback (and FeedbackExporter) write the kit's page."""
    templates, stylesheets = nbgrader_templates()
    config = Config()
    config.GenerateFeedback.exporter_class = FeedbackExporter
    config.HTMLExporter.template_name = TEMPLATE
    config.HTMLExporter.template_file = "feedback.html.j2"
    # The kit's folder first: its mathjax.html.j2 replaces nbconvert's CDN script.
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(templates)]
    config.HTMLExporter.extra_template_paths = [str(stylesheets)]
    return config


def _mathml(tex, display):
    try:
        return latex_to_mathml(tex, display=display)
    except Exception:  # TeX this converter does not know stays readable as TeX
        return f"<code class='tex'>{html.escape(tex)}</code>"


class _MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer with maths written as MathML instead of left for MathJax."""

    def block_math(self, body):
        return _mathml(body, "block")

    def inline_math(self, body):
        return _mathml(body, "inline")

    def latex_environment(self, name, body):
        return _mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory for every exporter of the process: nbgrader
    makes a new exporter (and Jinja environment) for each submission, and compiling the
    feedback page's templates again takes about half a second. A template is keyed by its name
    and its source, so a changed template is compiled anew."""

    def __init__(self):
        self.kept = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.kept:   # the bucket drops it if the source changed since
            bucket.bytecode_from_string(self.kept[bucket.key])

    def dump_bytecode(self, bucket):
        self.kept[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """HTMLExporter whose Markdown maths becomes MathML, with the summary filters the kit's
    feedback template uses; its templates are compiled once per process (COMPILED_TEMPLATES)."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = _MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def from_notebook_node(self, nb, resources=None, **kw):
        """HTMLExporter's conversion without its last pass through BeautifulSoup, which parses
        and writes the whole page again (a third of the page's time) to give images without alt
        text one and the lab template's cells a tabindex: the feedback page, on nbgrader's
        classic template, has no such cells, and its images get their alt text here."""
        language = nb.metadata.get("language_info", {})
        self.register_filter("highlight_code", self.filters.get("highlight_code", Highlight2HTML(
            pygments_lexer=language.get("pygments_lexer", language.get("name")), parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return IMAGE_WITHOUT_ALT.sub(f'<img alt="{IMAGE_ALT}"', page), resources

    def default_filters(self):
        yield from super().default_filters()  # markdown2html among them: the method above
        yield ("exercise_summary", exercise_summary)
        yield ("points", points)


def points(value):
    """A score as people write it: 3, 0.29, 12."""
    return f"{round(float(value or 0), 2):g}"


def check_label(grade_id):
    """What a graded cell checks, for a student: 'visible check', 'hidden checks', ..."""
    base, _, suffix = grade_id.rpartition("_")
    return CHECK_KINDS.get(suffix, "graded cell") if base else "graded cell"


def exercise_summary(notebook):
    """[{exercise, score, points, checks: [{id, label, score, points}]}] in notebook order, from
    the scores nbgrader's GetGrades put in each graded cell's metadata."""
    exercises = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") and not meta.get("task"):
            continue
        grade_id = meta["grade_id"]
        entry = exercises.setdefault(exercise_of(grade_id), {
            "exercise": exercise_of(grade_id), "score": 0.0, "points": 0.0, "checks": []})
        score, points = float(meta.get("score") or 0), float(meta.get("points") or 0)
        entry["score"] += score
        entry["points"] += points
        entry["checks"].append({"id": grade_id, "label": check_label(grade_id), "score": score,
                                "points": points})
    return list(exercises.values())


def failure_note(status, message, max_score):
    """Markdown for a submission nothing could be graded of: what happened and what to do."""
    advice = {
        "invalid notebook": "Open the notebook in Jupyter, save it again and hand it in again.",
        "missing notebook": "Hand in the notebook under the name it was released with.",
        "kernel died": "Restart the kernel and run every cell from the top: the notebook must "
                       "run to the end without stopping Python.",
        "timed out": "Restart the kernel and run every cell from the top: each cell must finish "
                     "in a few seconds.",
    }.get(status, "Ask your instructor to look at this submission.")
    return (f"### Nothing could be graded: {status}\n\n{message}\n\n"
            f"**Score: 0 / {max_score:g}.** {advice}")


def note_cell(text):
    """A Markdown cell for the top of a notebook, marked as the grader's."""
    return nbformat.v4.new_markdown_cell(text, metadata={"kit": {"note": True}})


def write_failure_page(path, notebook_name, note, max_score):
    """Write the feedback page of a notebook that could not be graded: the note alone."""
    notebook = nbformat.v4.new_notebook(cells=[note_cell(note)])
    exporter = FeedbackExporter(config=feedback_config())
    resources = {"nbgrader": {"notebook": notebook_name, "score": 0.0, "max_score": max_score,
                              "late_penalty": 0.0}}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(body, encoding="utf-8")
    os.replace(partial, path)
