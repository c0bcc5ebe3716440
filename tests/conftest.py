import sys
from pathlib import Path

import pytest

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent / "source" / "dinosaur_island"
sys.path.insert(0, str(ASSIGNMENT_DIR))
sys.path.insert(0, str(ASSIGNMENT_DIR.parent.parent))

SCREENSHOTS = pytest.StashKey()


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium, driven by Playwright (see jupyter_browser.py)."""
    from playwright.sync_api import sync_playwright

    from jupyter_browser import launch_chromium
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(pytestconfig):
    """Where browser tests save what a person would see; listed at the end of the session."""
    from jupyter_browser import Screenshots
    pytestconfig.stash[SCREENSHOTS] = Screenshots()
    return pytestconfig.stash[SCREENSHOTS]


@pytest.fixture(scope="session")
def graded_demo_class(tmp_path_factory):
    """The bundled demo class graded into a fresh course on SQLite, once per session: the
    formgrader's HTTP tests and the instructor's browser tests read the same course."""
    from test_formgrader import graded_demo
    return graded_demo(tmp_path_factory.mktemp("demo-class"))


def pytest_terminal_summary(terminalreporter, config):
    """Print the figures tests record as a "mutation score" property (see test_mutations.py)
    and the screenshots the browser tests saved."""
    figures = [value for reports in terminalreporter.stats.values() for report in reports
               if getattr(report, "when", None) == "call"
               for name, value in report.user_properties if name == "mutation score"]
    if figures:
        terminalreporter.section("mutation score")
        for line in figures:
            terminalreporter.write_line(line)
    shots = config.stash.get(SCREENSHOTS, None)
    if shots and shots.paths:
        terminalreporter.section("browser screenshots")
        for path in shots.paths:
            terminalreporter.write_line(str(path))
