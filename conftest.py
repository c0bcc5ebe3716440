"""nbval settings for the source notebooks' stored outputs.

The loss plot (PNG bytes) changes from run to run; the plot's data are the printed, seeded
losses, which nbval does compare. Training progress is one line on stdout when the notebook runs
unattended (rnn_utils.ProgressBar), the same on every run, so nbval compares it too. stderr is
not compared: the first run on a fresh machine may print set-up notices there (matplotlib's font
cache).
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "image/png")


def pytest_collection_modifyitems(items):
    """The source notebooks' nbval runs execute whole notebooks: they belong to the slow tier."""
    import pytest
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
