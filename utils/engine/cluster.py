"""Where units run: a Dask cluster, the same way on one machine and on many.

Without a scheduler address, grading starts a LocalCluster of N single-threaded workers on
this machine (``--jobs N``), inside the grading process: each submission is graded in a process
of its own anyway (utils/engine/runner.py), and worker processes would cost several seconds per
run to start and import the kit. With a scheduler address (``--scheduler tcp://HOST:8786`` or
``c.Grading.scheduler``), it sends the same tasks (utils/engine/task.py) to that cluster's
workers. The coordinator keeps a bounded number of tasks in flight, takes the answers as they
come, and records those that came together in one transaction before it sends more.

A worker process that dies mid-task (killed, out of memory, a machine lost) has its task sent
to another worker by the scheduler; a submission whose task has brought down
``distributed.scheduler.allowed-failures`` + 1 workers ends as ``grading failed`` with that
reason, and the rest of the class is graded. Worker processes start the unit's processes, so
they must not be daemonic (``distributed.worker.daemon: False``).
"""
import logging
from contextlib import contextmanager

from .. import KitError
from .runner import start_unit_server

CONNECT_SECONDS = 10
# Tries a submission gets on workers that die under it, as the local cluster's scheduler counts.
ALLOWED_FAILURES = 2
IN_FLIGHT_PER_THREAD = 2
MIN_IN_FLIGHT = 32
IN_FLIGHT_BYTES = 1 * 2**30


@contextmanager
def grading_cluster(scheduler=None, jobs=1):
    """A Dask client for grading: to the scheduler at the address scheduler, else to a new
    LocalCluster of jobs workers with one thread each, in this process. KitError, in one line, when the
    scheduler cannot be reached or its workers cannot start units."""
    import dask
    from distributed import Client, LocalCluster

    local = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except Exception as error:
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise KitError(f"cannot reach the Dask scheduler at {scheduler}: {reason}") from None
    else:
        with dask.config.set({"distributed.worker.daemon": False,
                              "distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            # The scheduler serves its HTTP routes on a free port (its default, 8787, is taken
            # when another grading runs on this machine, and it warns on the terminal then).
            local = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=False,
                                 memory_limit=0, dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(local)
    try:
        daemonic = [worker for worker, is_daemon in client.run(_daemonic).items() if is_daemon]
        if daemonic:
            raise KitError(f"the Dask workers {', '.join(sorted(daemonic))} run as daemon processes, "
                           "which cannot start the processes a submission is graded in: start them "
                           "with DASK_DISTRIBUTED__WORKER__DAEMON=False")
        client.run(start_unit_server)   # each worker's units fork from a warm server
        yield client
    finally:
        client.close()
        if local is not None:
            local.close()


def _daemonic():
    import multiprocessing
    return multiprocessing.current_process().daemon


def graded(client, bundle, work, settings, sandbox):
    """Grade the submissions of work on the cluster: yields lists of (student, answer or
    exception), the tasks finished since the last list. work: iterable of (student, the digest it
    is graded under, archive of the submission), read as tasks are sent: at most
    max(MIN_IN_FLIGHT, IN_FLIGHT_PER_THREAD per worker thread) tasks and IN_FLIGHT_BYTES of
    submissions are in flight. An answer is the task's dict (task.grade_task); the exception is
    distributed's KilledWorker for a submission that brought down its workers every time it was
    tried.

    Another exception on a worker (not the submission's doing: a worker set up wrongly, a full
    disk) stops the run: KitError naming the student and the error; what was recorded stays.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from .task import grade_task

    assignment = client.submit(_same, bundle, key=f"kit-assignment-{bundle['digest']}", pure=False)
    work = iter(work)
    futures = as_completed()
    sent = {}   # key: (student, bytes of its submission)

    def send_more():
        """Send tasks up to the window, all in one message to the scheduler."""
        window = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
        students, submissions, keys = [], [], []
        in_flight = sum(size for _, size in sent.values())
        while len(sent) + len(keys) < window and (not (sent or keys) or in_flight < IN_FLIGHT_BYTES):
            item = next(work, None)
            if item is None:
                break
            student, run, submission = item
            students.append(student)
            submissions.append(submission)
            keys.append(f"kit-grade-{student}-{run}")
            in_flight += len(submission)
        if not keys:
            return
        new = client.map(grade_task, [assignment] * len(keys), students, submissions,
                         [settings] * len(keys), [sandbox] * len(keys), key=keys, pure=False, retries=0)
        for future, student, submission in zip(new, students, submissions):
            sent[future.key] = (student, len(submission))
            futures.add(future)

    send_more()
    for batch in futures.batches():
        finished = [future for future in batch if future.status != "error"]
        answers = list(zip([sent[future.key][0] for future in finished], client.gather(finished)))
        for future in batch:
            student, _ = sent.pop(future.key)
            if future.status == "error":
                error = future.exception()
                if not isinstance(error, KilledWorker):
                    raise KitError(f"grading {student} failed on a Dask worker: "
                                   f"{type(error).__name__}: {error}")
                answers.append((student, error))
            future.release()
        yield answers
        send_more()


def _same(value):
    return value


def worker_died(error):
    """The reason recorded for a submission whose workers died under it each time it was tried."""
    return (f"the grading worker died each time this submission was graded "
            f"({error.allowed_failures + 1} tries, last on {error.last_worker.address}); "
            "grade it by hand or look at what it runs")
