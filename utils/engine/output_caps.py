"""Notebook output capped while the cells run (for nbclient clients such as nbgrader's Execute),
so that a kernel that prints without end grows neither the grader's memory nor the graded
notebook nor its feedback.

A cell keeps at most ``cell_output_bytes`` of output and the notebook at most
``notebook_output_bytes``. Printed text keeps its head (the first half of what the cell may
keep) and its tail, with a line between them that says how many bytes were cut; a rich output
(image, HTML, ...) that does not fit is replaced by such a line; error outputs are always kept,
shortened to ERROR_BYTES (at most MAX_ERRORS per cell). Sizes are UTF-8 bytes of the text, or of
the JSON of a rich output's data. Widgets are not kept at all. A cell whose output never
finished arriving (the kernel sent a message larger than the grader takes, which ends the
output connection, or was stopped mid-cell) is counted in the grading notes.
"""
import json

import nbformat
from traitlets import Integer
from traitlets.config import LoggingConfigurable

MiB = 2**20
ERROR_BYTES = 16 * 1024
MAX_ERRORS = 4
STREAMS = ("stdout", "stderr")


def text_bytes(text):
    return len(text.encode("utf-8", "surrogatepass"))


def last_bytes(text, size):
    """The end of text that fits in size bytes (a character cut in two is left out)."""
    data = text.encode("utf-8", "surrogatepass")
    return data[len(data) - size:].decode("utf-8", "ignore") if size > 0 else ""


def first_bytes(text, size):
    data = text.encode("utf-8", "surrogatepass")
    return data[:max(0, size)].decode("utf-8", "ignore")


def megabytes(size):
    return f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size:,} bytes"


class _Cell:
    """What one cell has kept so far: bytes, and per stream its cut part (note, tail)."""

    def __init__(self, allowance):
        self.allowance = allowance  # bytes this cell may keep
        self.kept = 0
        self.errors = 0
        self.cut = {}               # stream name -> [bytes cut, note output, tail output]
        self.left_out = None        # note output for rich outputs left out, and their bytes
        self.left_out_bytes = 0


class CappedOutputs(LoggingConfigurable):
    """Mixin for nbclient.NotebookClient subclasses (put it first among the bases)."""

    cell_output_bytes = Integer(1 * MiB, config=True, help="most output bytes kept per cell")
    notebook_output_bytes = Integer(4 * MiB, config=True,
                                    help="most output bytes kept per notebook")

    def preprocess(self, nb, resources=None, km=None):
        self._cells, self._kept, self._sizes, self._cut = {}, 0, {}, 0
        self._finished, self._unfinished = set(), 0
        nb, resources = super().preprocess(nb, resources, km)
        notes = self.grading_notes()
        if notes:
            nb.metadata["grading_notes"] = notes
            for note in notes:
                self.log.warning("%s", note)
        return nb, resources

    def grading_notes(self):
        """Lines for the grading report about what was capped in the notebook just run."""
        notes = []
        if self._cut:
            notes.append(f"{megabytes(self._cut)} of the notebook's output were cut (a cell keeps "
                         f"{megabytes(self.cell_output_bytes)}, the notebook "
                         f"{megabytes(self.notebook_output_bytes)})")
        if self._unfinished:
            notes.append(f"the output of {self._unfinished} cell(s) did not all reach the grader "
                         "(a message over the size limit, or a kernel stopped mid-cell)")
        return notes

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
            self._finished.add(cell_index)
        return super().process_message(msg, cell, cell_index)

    def _cell(self, cell_index):
        if cell_index not in self._cells:
            room = max(0, self.notebook_output_bytes - self._kept)
            self._cells[cell_index] = _Cell(min(self.cell_output_bytes, room))
        return self._cells[cell_index]

    def _keep(self, cell, size):
        cell.kept += size
        self._kept += size

    def output(self, outs, msg, display_id, cell_index):
        if self.clear_before_next_output:
            # A clear_output(wait=True) takes effect now (super() would do it only for outputs
            # it keeps).
            outs[:] = []
            self.clear_display_id_mapping(cell_index)
            self.clear_before_next_output = False
            self._cells.pop(cell_index, None)
        cell = self._cell(cell_index)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            return self._stream(outs, msg, display_id, cell_index, cell)
        if kind == "error":
            if cell.errors >= MAX_ERRORS:
                self._cut += text_bytes(json.dumps(content))
                return None
            cell.errors += 1
            msg = {**msg, "content": shortened_error(content)}
            self._keep(cell, text_bytes(json.dumps(msg["content"])))
            return super().output(outs, msg, display_id, cell_index)
        size = text_bytes(json.dumps(content.get("data", {})))
        if cell.kept + size > cell.allowance:
            self._cut += size
            cell.left_out_bytes += size
            if cell.left_out is None:
                cell.left_out = nbformat.v4.new_output("stream", name="stdout", text="")
                outs.append(cell.left_out)
            cell.left_out.text = (f"[... {megabytes(cell.left_out_bytes)} of rich output left out "
                                  f"here: a cell keeps {megabytes(self.cell_output_bytes)} of "
                                  f"output, a notebook {megabytes(self.notebook_output_bytes)} ...]\n")
            return None
        out = super().output(outs, msg, display_id, cell_index)
        self._keep(cell, size)
        if out is not None:
            self._sizes[id(out)] = size
        return out

    def _stream(self, outs, msg, display_id, cell_index, cell):
        name, text = msg["content"].get("name"), msg["content"].get("text", "")
        if name not in STREAMS or not isinstance(text, str):
            return None
        size = text_bytes(text)
        if name not in cell.cut:
            head_room = cell.allowance // 2 - cell.kept
            if size <= head_room:
                self._keep(cell, size)
                return super().output(outs, msg, display_id, cell_index)
            if head_room > 0:
                head = first_bytes(text, head_room)
                super().output(outs, {**msg, "content": {**msg["content"], "text": head}},
                               display_id, cell_index)
                self._keep(cell, text_bytes(head))
                text = text[len(head):]
                size = text_bytes(text)
            # From here on this stream keeps only its tail, after a note of what was cut.
            note = nbformat.v4.new_output("stream", name=name, text="")
            tail = nbformat.v4.new_output("stream", name=name, text="")
            outs.extend([note, tail])
            cell.cut[name] = [0, note, tail]
        record = cell.cut[name]
        cut_before = record[0]
        tail_room = max(0, (cell.allowance - cell.kept) // len(STREAMS))
        old_tail = record[2].text
        combined = old_tail + text
        new_tail = last_bytes(combined, tail_room)
        dropped = text_bytes(old_tail) + size - text_bytes(new_tail)
        record[0] += dropped
        record[2].text = new_tail
        self._cut += record[0] - cut_before
        record[1].text = (f"\n[... {megabytes(record[0])} of output cut here: a cell keeps "
                          f"{megabytes(self.cell_output_bytes)} of output, a notebook "
                          f"{megabytes(self.notebook_output_bytes)}; the start and the end are "
                          "shown ...]\n")
        return None

    def clear_output(self, outs, msg, cell_index):
        super().clear_output(outs, msg, cell_index)
        if not self.clear_before_next_output:
            self._cells.pop(cell_index, None)

    def _update_display_id(self, display_id, msg):
        # A display update replaces outputs in place: it may not grow them past the notebook's cap.
        size = text_bytes(json.dumps(msg["content"].get("data", {})))
        targets = []
        for cell, indices in self._display_id_map.get(display_id, {}).items():
            outputs = self.nb["cells"][cell].get("outputs", [])
            targets += [outputs[index] for index in indices if index < len(outputs)]
        growth = sum(size - self._sizes.get(id(target), 0) for target in targets)
        if self._kept + growth > self.notebook_output_bytes:
            self._cut += size * len(targets)
            note = f"[... an update of {megabytes(size)} left out: over the notebook's output cap ...]"
            msg = {**msg, "content": {**msg["content"], "data": {"text/plain": note}, "metadata": {}}}
            size = text_bytes(json.dumps(msg["content"]["data"]))
            growth = sum(size - self._sizes.get(id(target), 0) for target in targets)
        super()._update_display_id(display_id, msg)
        self._kept += growth
        for target in targets:
            self._sizes[id(target)] = size

    def handle_comm_msg(self, outs, msg, cell_index):
        # Widget state is kept in the notebook and output widgets bypass output(): grading keeps
        # neither.
        return None

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        if kwargs["cell_index"] not in self._finished:
            self._unfinished += 1
        # An error taken from the kernel's reply (nbgrader's Execute adds it) is shortened too.
        cell = kwargs["cell"]
        for index, output in enumerate(cell.get("outputs", [])):
            if output.get("output_type") == "error":
                cell.outputs[index] = nbformat.from_dict(
                    {"output_type": "error", **shortened_error(output)})


def shortened_error(content):
    """An error output's fields (ename, evalue, traceback) within ERROR_BYTES."""
    ename = first_bytes(str(content.get("ename", "")), 200)
    evalue = str(content.get("evalue", ""))
    if text_bytes(evalue) > ERROR_BYTES // 4:
        evalue = first_bytes(evalue, ERROR_BYTES // 4) + " [...]"
    traceback, room = [], ERROR_BYTES // 2
    for line in reversed([str(line) for line in content.get("traceback", []) or []]):
        if text_bytes(line) > room:
            traceback.append(last_bytes(line, room))
            break
        traceback.append(line)
        room -= text_bytes(line)
    return {"ename": ename, "evalue": evalue, "traceback": traceback[::-1]}
