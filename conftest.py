"""nbval settings for the source notebooks stored outputs.

The progress bar (stderr) and the loss plot (PNG bytes) change from run to run;
the plot's data are the printed, seeded losses, which nbval does compare.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "image/png")
