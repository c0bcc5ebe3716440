import sys
from pathlib import Path

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent / "source" / "dinosaur_island"
sys.path.insert(0, str(ASSIGNMENT_DIR))
sys.path.insert(0, str(ASSIGNMENT_DIR.parent.parent))


def pytest_terminal_summary(terminalreporter):
    """Print the figures tests record as a "mutation score" property (see test_mutations.py)."""
    figures = [value for reports in terminalreporter.stats.values() for report in reports
               if getattr(report, "when", None) == "call"
               for name, value in report.user_properties if name == "mutation score"]
    if figures:
        terminalreporter.section("mutation score")
        for line in figures:
            terminalreporter.write_line(line)
