"""Seconds per notebook run with a sandboxed kernel beside an ordinary one.

Each run starts a kernel, executes the notebook and shuts the kernel down, as
nbgrader does once per submission; the two kinds alternate so that both see
the same machine load.

    python benchmarks/sandbox_cost.py [--runs 5] [--notebook PATH]

Without --notebook the notebook is one trivial cell (import numpy, print), so
the figures are the fixed cost per submission; with the source notebook of the
assignment they include its own run time.
"""
import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from utils.engine.sandbox import SandboxedKernelManager, sandbox_problem  # noqa: E402

TRIVIAL = "import numpy as np\nprint(np.arange(3).sum())"


def seconds_per_run(notebook_path, folder, kernel_manager_class):
    """Wall-clock seconds to start a kernel, run the notebook in folder and shut the kernel down."""
    if notebook_path is None:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TRIVIAL)])
    else:
        notebook = nbformat.read(notebook_path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, kernel_name="python3", kernel_manager_class=kernel_manager_class,
                   timeout=600, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notebook", type=Path, help="notebook to run (default: one trivial cell)")
    args = parser.parse_args()
    problem = sandbox_problem()
    if problem:
        sys.exit(f"error: {problem}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if args.notebook is not None:
            # The notebook's folder (its helpers and data), copied as nbgrader would.
            shutil.copytree(args.notebook.resolve().parent, folder, dirs_exist_ok=True)
        times = {"ordinary": [], "sandboxed": []}
        for _ in range(args.runs):
            times["ordinary"].append(seconds_per_run(args.notebook, folder, AsyncKernelManager))
            times["sandboxed"].append(seconds_per_run(args.notebook, folder,
                                                      SandboxedKernelManager))
    print(f"notebook: {args.notebook or 'one trivial cell'}, {args.runs} runs each")
    print(f"{'kernel':<10} {'median s':>9} {'min s':>7} {'max s':>7}")
    for kind, values in times.items():
        print(f"{kind:<10} {statistics.median(values):>9.2f} {min(values):>7.2f} "
              f"{max(values):>7.2f}")
    ordinary, sandboxed = (statistics.median(values) for values in times.values())
    print(f"sandbox cost: {sandboxed - ordinary:+.2f} s per submission "
          f"(x{sandboxed / ordinary:.2f})")


if __name__ == "__main__":
    main()
