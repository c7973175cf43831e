"""Many councils, runs or scenarios as tasks for Dask (distributed).

A local cluster by default (``workers`` processes, one thread each), or a real cluster by its scheduler
address. Tasks carry their own seeds, so results are identical whatever the number of workers; the
order of the results is the order of the tasks.

Examples
--------
>>> with dask_client(workers=1) as client:  # doctest: +SKIP
...     run_tasks(client, abs, [-1, -2])
[1, 2]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
logger = logging.getLogger(__name__)
# Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, so that the C library hands freed memory back
# to the system at once. The Monte Carlo makes and frees arrays of a few MB every month of every run; with
# that setting each one is fresh pages from the system, and a council's forecast in a worker took 1.6x as
# long as in the command's own process (30 councils of the national-sized pool, one worker: 57.0 s against
# 35.7 s in the process; the process itself with the setting: 49.4 s). Local workers keep the C library's
# own default; each is one core, so its Monte Carlo runs on one thread; and with no dashboard to show it,
# the workers' sampling profiler is off.
LOCAL_WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                        "distributed.worker.profile.enabled": False}


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A Dask client: on the cluster at ``scheduler`` (tcp://host:8786), else on a local cluster of
    ``workers`` processes that is shut down when the block ends; None (run in this process, see
    :func:`run_tasks`) with no scheduler and no workers."""
    if not scheduler and not workers:
        yield None
        return
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with dask.config.set(LOCAL_WORKER_ENVIRON), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                         env={"PLACECAST_THREADS": "1"}) as cluster, Client(cluster) as client:
        client.run(quiet_worker_logs)
        yield client


def quiet_worker_logs() -> None:
    """Run in each worker of a local cluster: only Dask's critical messages. A worker's heartbeat that met the
    scheduler closing at the end of a command was logged with three tracebacks under the user's message (seen
    on a loaded machine); what a task raises comes back to the command through its result, not the log."""
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name.split(".")[0] == "distributed":
            logging.getLogger(name).setLevel(logging.CRITICAL)


def run_tasks(client: Any, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``fn`` on every item as Dask tasks (in order); on this process when ``client`` is None."""
    if client is None:
        return [fn(item) for item in items]
    futures = client.map(_ReturningUserErrors(fn), list(items), pure=False)
    results = []
    for ok, value in client.gather(futures):
        if not ok:
            raise value
        results.append(value)
    return results


class _ReturningUserErrors:
    """``fn`` with a user's mistake (a :class:`~placecast.errors.PlacecastError`, such as a council's unusable
    returns) returned as a value instead of raised: a task that raises is logged by its worker as a failed
    computation, with a traceback, above the one message the user needs; :func:`run_tasks` raises it instead."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __call__(self, item: Any) -> tuple[bool, Any]:
        from placecast.errors import PlacecastError

        try:
            return True, self.fn(item)
        except PlacecastError as exc:
            return False, exc
