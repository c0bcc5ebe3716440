"""The kit's grading settings, read from the ``Grading`` section of nbgrader_config.py.

    c.Grading.submission_timeout = 60   # seconds for one whole submission
    c.ExecutePreprocessor.timeout = 10  # seconds for one cell (nbgrader's own setting)
    c.Grading.zip_pattern = r"..."      # LMS export file names, see utils/collect.py
    c.SandboxedKernelManager.memory_bytes = 2 * 2**30   # sandbox limits, see utils/sandbox.py
    c.CourseDirectory.db_url = "postgresql+psycopg://..."   # the gradebook (default: gradebook.db)
    c.Grading.gradebook_wait = 60       # seconds to wait for a gradebook that is busy or unreachable
    c.Grading.scheduler = "tcp://HOST:8786"   # grade on this Dask cluster (default: this machine)
    c.Grading.execute_ungraded = False  # run notebooks without graded cells too (read by the
                                        # Execute preprocessor in utils/engine/sandbox.py)
"""
from dataclasses import dataclass
from pathlib import Path

from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

from .. import KitError


@dataclass
class Settings:
    course_id: str
    cell_timeout: int = 10
    submission_timeout: int = 60
    zip_pattern: str = ""
    sandbox_limits: dict = None   # fields of utils.engine.sandbox.Limits set in c.SandboxedKernelManager
    db_url: str = ""              # nbgrader's c.CourseDirectory.db_url; "" means gradebook.db in the course
    gradebook_wait: int = 60
    exchange_root: str = ""       # nbgrader's c.Exchange.root, where released assignments go
    scheduler: str = ""           # a Dask scheduler's address; "" grades on this machine


def load_settings(root):
    """Settings of the course at root; KitError if its nbgrader_config.py is missing or broken."""
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(Path(root))).load_config()
    except ConfigFileNotFound:
        raise KitError(f"no nbgrader_config.py in {root}") from None
    except Exception as error:
        raise KitError(f"nbgrader_config.py cannot be read: {type(error).__name__}: {error}") from None
    grading = config.get("Grading", {})
    settings = Settings(course_id=config.CourseDirectory.get("course_id", "course"))
    settings.cell_timeout = int(config.ExecutePreprocessor.get("timeout", settings.cell_timeout))
    settings.db_url = config.CourseDirectory.get("db_url", "")
    settings.exchange_root = config.get("Exchange", {}).get("root", "")
    for name in ("submission_timeout", "zip_pattern", "gradebook_wait", "scheduler"):
        if name in grading:
            setattr(settings, name, type(getattr(settings, name))(grading[name]))
    limits = config.get("SandboxedKernelManager", {})
    settings.sandbox_limits = {name: limits[name] for name in
                               ("memory_bytes", "cpu_seconds", "processes", "output_bytes",
                                "folder_bytes", "folder_files") if name in limits}
    return settings
