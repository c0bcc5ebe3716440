"""Loaded inside a sandboxed kernel (not part of the kit's package): ipykernel's output stream,
sending printed text in messages of at most CHUNK characters.

ipykernel gathers what a cell prints for 0.2 s and sends it as one message: a loop of large
prints makes messages of hundreds of MB. The grader takes no message over a few MB (see
utils/engine/sandbox.py), so the kernel sends pieces instead: the graded notebook then keeps the
start and the end of a flood (utils/engine/output_caps.py). The kernel is started with
``--IPKernelApp.outstream_class=chunked_stream.ChunkedOutStream``.
"""
from ipykernel.iostream import OutStream

CHUNK = 256 * 1024


class ChunkedOutStream(OutStream):
    def write(self, string):
        if not isinstance(string, str) or len(string) <= CHUNK and self._pending() < CHUNK:
            return super().write(string)
        for start in range(0, len(string), CHUNK):
            super().write(string[start:start + CHUNK])
            if self._pending() >= CHUNK:
                self.flush()
        return len(string)

    def _pending(self):
        """Characters written for the current cell and not sent yet."""
        with self._buffer_lock:
            buffer = self._buffers.get(frozenset(self.parent_header.items()))
            return buffer.tell() if buffer is not None else 0
