"""Where the assignment's code runs, for the tests: a Jupyter kernel and a terminal.

Kernel is a real IPython kernel started with jupyter_client in the assignment folder. A
frontend such as JupyterLab sends its cells with allow_stdin=True and answers the kernel's
input requests on the stdin channel; nbconvert, nbval and nbgrader send allow_stdin=False.
Kernel.run does either, and returns every message the cell caused on the iopub channel.

run_in_terminal runs Python code with a pseudo-terminal as stdin, stdout and stderr.
"""
import fcntl
import os
import pty
import queue
import select
import struct
import subprocess
import sys
import termios
import time

from jupyter_client import KernelManager

from conftest import ASSIGNMENT_DIR

TIMEOUT = 120       # seconds for one cell, far above what any cell here needs


class Kernel:
    def __init__(self):
        env = {key: value for key, value in os.environ.items() if key != "NBGRADER_EXECUTION"}
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(ASSIGNMENT_DIR), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=TIMEOUT)

    def run(self, code, allow_stdin, answers=()):
        """Execute code; answer each input request with the next of answers.

        Returns (messages, prompts): the iopub messages of the cell, from busy to idle, and the
        prompts of the input requests the kernel sent.
        """
        client = self.client
        msg_id = client.execute(code, allow_stdin=allow_stdin)
        answers, prompts, messages = list(answers), [], []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                request = client.get_stdin_msg(timeout=0.05)
            except queue.Empty:
                pass
            else:
                prompts.append(request["content"]["prompt"])
                assert answers, f"unexpected input request: {request['content']['prompt']!r}"
                client.input(answers.pop(0))
            try:
                message = client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                reply = client.get_shell_msg(timeout=TIMEOUT)
                while reply["parent_header"].get("msg_id") != msg_id:
                    reply = client.get_shell_msg(timeout=TIMEOUT)
                assert reply["content"]["status"] == "ok", "\n".join(reply["content"].get("traceback", []))
                return messages, prompts
        raise TimeoutError(f"the cell did not finish in {TIMEOUT} s")

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def stream(messages, name):
    """All the text the cell wrote to stdout or stderr."""
    return "".join(m["content"]["text"] for m in messages
                   if m["msg_type"] == "stream" and m["content"]["name"] == name)


def of_type(messages, *types):
    return [m for m in messages if m["msg_type"] in types]


def widget_states(messages):
    """{model name: its state after the cell} for every widget the cell created (one per name)."""
    names, states = {}, {}
    for message in of_type(messages, "comm_open", "comm_msg"):
        content = message["content"]
        data = content["data"]
        if message["msg_type"] == "comm_open":
            names[content["comm_id"]] = data["state"]["_model_name"]
            states[content["comm_id"]] = dict(data["state"])
        elif data.get("method") == "update":
            states[content["comm_id"]].update(data["state"])
    return {names[comm]: state for comm, state in states.items()}


def run_in_terminal(code, typed=None, wait_for=None):
    """Run `python -c code` in the assignment folder on an 80x24 pseudo-terminal.

    When wait_for is given, `typed` is written to the terminal once wait_for has been printed.
    Returns (shown, exit code): shown is everything the terminal showed, typed keys echoed
    included, with \r\n line ends.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {key: value for key, value in os.environ.items() if key != "NBGRADER_EXECUTION"}
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ASSIGNMENT_DIR, env=env,
                               stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            if wait_for is not None and wait_for.encode() in shown:
                os.write(master, typed.encode())
                wait_for = None
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:             # the program ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        else:
            raise TimeoutError(f"the program did not finish in {TIMEOUT} s")
        process.wait(timeout=TIMEOUT)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    return shown.decode(), process.returncode
