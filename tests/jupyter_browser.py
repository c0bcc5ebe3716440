"""A real JupyterLab server and Debian's Chromium, driven by Playwright, for the browser tests.

The server runs as a subprocess on a free local port with a token and its own Jupyter config,
runtime and settings folders, so the developer's own Jupyter set-up plays no part. The browser
is /usr/bin/chromium (Playwright's own browser download is not used). LabPage does what a person
does in a JupyterLab tab: open a notebook, run every cell from the Run menu, answer a cell's
input box, press Validate; WatchedPage, its base, records what went wrong in any page (the
formgrader's included). Screenshots go to test_artefacts/browser/ and are listed at the end of the test session.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from utils import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
ARTEFACTS = ROOT / "test_artefacts" / "browser"
VIEWPORT = {"width": 1400, "height": 900}
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"   # the notebook in the tab on show
# The execution counts of a notebook's code cells ("[3]:", "[*]:" while queued or running,
# "[ ]:" never run) and its kernel's status ("idle", "busy", ...).
RUN_STATE = """notebook => ({
    prompts: [...document.querySelectorAll(notebook + ' .jp-CodeCell .jp-InputPrompt')]
        .map(prompt => prompt.textContent.trim()),
    kernel: document.querySelector(notebook + ' .jp-Notebook-ExecutionIndicator')?.dataset.status,
})"""
# Generous bounds for a loaded two-core machine; a healthy run takes a fraction of each.
SERVER_START_SECONDS = 90
PAGE_TIMEOUT_MS = 90_000
RUN_ALL_SECONDS = 300
VALIDATE_TIMEOUT_MS = 180_000


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class JupyterLab:
    """A JupyterLab server: command (a `jupyter lab` launch, server options appended) run in
    cwd, with its Jupyter config, runtime and settings folders under home. Use it in a with
    block; leaving the block stops the server and its kernels."""

    def __init__(self, command, cwd, home):
        self.command, self.cwd, self.home = list(command), Path(cwd), Path(home)
        self.port, self.token = free_port(), os.urandom(16).hex()
        self.log = self.home / "jupyter.log"
        self.process = None

    def url(self, path):
        """The address of path on this server, token included."""
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?token={self.token}"

    def __enter__(self):
        venv_bin = str(Path(sys.executable).parent)
        env = {**os.environ,
               "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
               "JUPYTER_CONFIG_DIR": str(self.home / "config"),
               "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
               "JUPYTERLAB_SETTINGS_DIR": str(self.home / "lab-settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "lab-workspaces"),
               "IPYTHONDIR": str(self.home / "ipython")}
        options = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   "--allow-root"]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(self.command + options, cwd=self.cwd, env=env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n{self.log_tail()}")

    def log_tail(self, lines=25):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, *exc):
        # SIGTERM lets the server shut its kernels down; the process group catches stragglers.
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


def launch_chromium(playwright):
    """Debian's Chromium, headless, launched by Playwright."""
    if not CHROMIUM.is_file():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: install Debian's chromium "
                           "(apt-get install chromium; kit.sh does it when run as root)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)


class Screenshots:
    """Screenshots saved as test artefacts in folder (emptied first), listed at session end."""

    def __init__(self, folder=ARTEFACTS):
        self.folder = Path(folder)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.paths = []

    def take(self, page, name, full_page=False):
        """Save what page shows now (the viewport, or the whole page) as name.png; returns the path."""
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.paths.append(path)
        return path


class WatchedPage:
    """A browser page and the problems it reported: console errors, script errors, failed
    requests and error responses (`problems`, a list of one-line strings)."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.on("console", lambda message: message.type == "error"
                and self.problems.append(f"console error: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(
            f"request failed: {request.method} {request.url} ({request.failure})"))
        page.on("response", lambda response: response.status >= 400 and self.problems.append(
            f"HTTP {response.status}: {response.request.method} {response.url}"))


class LabPage(WatchedPage):
    """One JupyterLab tab showing one notebook."""

    def open(self, url, cell_count):
        """Load url (a notebook in JupyterLab) and wait until it shows its cell_count cells and
        its kernel is idle."""
        self.page.goto(url)
        self.page.wait_for_function(
            "([notebook, n]) => document.querySelectorAll(notebook + ' .jp-Cell').length === n",
            arg=[NOTEBOOK, cell_count])
        self.page.locator(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()

    @property
    def cells(self):
        """The notebook's cells in order (JupyterLab keeps every cell in the page)."""
        return self.page.locator(f"{NOTEBOOK} .jp-Cell")

    def outputs(self, index, mime_type=None):
        """The output elements of cell index, or only those of one MIME type
        (application/vnd.jupyter.stdout, .stderr, image/png, ...)."""
        selector = ".jp-OutputArea-output"
        if mime_type:
            selector += f"[data-mime-type='{mime_type}']"
        return self.cells.nth(index).locator(selector)

    def menu(self, *labels):
        """Open a menu bar menu and click down its items: menu('Run', 'Run All Cells')."""
        self.page.locator(".lm-MenuBar-itemLabel").get_by_text(labels[0], exact=True).click()
        for label in labels[1:]:
            self.page.locator(".lm-Menu-item .lm-Menu-itemLabel").get_by_text(label, exact=True).click()

    def menu_bar(self):
        """The labels of the menu bar: ['File', 'Edit', ...]."""
        return self.page.locator(".lm-MenuBar-itemLabel").all_text_contents()

    def palette(self):
        """The command palette's categories and command labels, as a person sees them listed."""
        self.menu("View", "Activate Command Palette")
        palette = self.page.locator(".lm-CommandPalette")
        palette.wait_for()
        headers = palette.locator(".lm-CommandPalette-header").all_text_contents()
        items = palette.locator(".lm-CommandPalette-itemLabel").all_text_contents()
        self.page.keyboard.press("Escape")
        return headers, items

    def run_state(self):
        """{'prompts': the execution counts of the code cells, 'kernel': the kernel's status}
        (see RUN_STATE)."""
        return self.page.evaluate(RUN_STATE, NOTEBOOK)

    def run_all(self):
        """Run every cell from the Run menu and wait until the kernel has finished with them."""
        self.menu("Run", "Run All Cells")
        self.wait_until_run()

    def wait_until_run(self):
        """Wait until the cells sent to the kernel have run (every one numbered, or the run
        stopped at an error) and the kernel is idle again."""
        self._wait(lambda: False)

    def input_box(self, index):
        """The input box that cell index opens under itself when its code calls input(), once
        it is there (earlier cells may still be running); an AssertionError with what the cell
        shows when the cells finished running without opening it."""
        box = self.cells.nth(index).locator(".jp-Stdin-input")
        if not self._wait(lambda: box.count() > 0):
            shown = "".join(self.outputs(index).all_text_contents())
            raise AssertionError(f"cell {index} ran without opening an input box; it shows:\n{shown}")
        return box

    def _wait(self, happened):
        """Wait until happened() is true (returns True) or the cells sent to the kernel have run
        and the kernel is idle (returns False)."""
        deadline = time.monotonic() + RUN_ALL_SECONDS
        while True:
            if happened():
                return True
            state = self.run_state()
            numbered = [prompt for prompt in state["prompts"] if re.fullmatch(r"\[\d+\]:", prompt)]
            if numbered and "[*]:" not in state["prompts"] and state["kernel"] == "idle":
                return False
            if time.monotonic() > deadline:
                raise AssertionError(f"the cells did not finish running in {RUN_ALL_SECONDS} s: kernel "
                                     f"{state['kernel']}, prompts {' '.join(state['prompts'])}")
            time.sleep(0.5)

    def validate(self):
        """Press nbgrader's Validate button; the dialog it opens when the result is in."""
        self.page.locator(f"{NOTEBOOK} .jp-Toolbar-item", has_text="Validate").click()
        dialog = self.page.locator(".jp-Dialog")
        dialog.wait_for(timeout=VALIDATE_TIMEOUT_MS)
        return dialog

    def show(self, index):
        """Scroll cell index to the top of the notebook view."""
        self.cells.nth(index).evaluate("cell => cell.scrollIntoView({block: 'start'})")
        self.page.wait_for_timeout(300)  # let content-visibility paint what scrolled in
