"""How a Placecast process uses the cores: its own threads and processes, not the linear-algebra library's.

Placecast's matrix products are many small ones (ten placement categories): split across threads by
OpenBLAS they cost about twice the CPU for no gain in time (the planner's preview: 94 ms on one thread,
106 ms and 207 ms of CPU on two), and in the web server, where requests already run side by side, the
extra threads take the cores from the background jobs. Placecast parallelises its own work instead
(blocks of Monte Carlo runs, job processes, Dask workers), so every entry point limits the library to one
thread, through threadpoolctl (which knows each library's own switch)."""

from __future__ import annotations


def one_blas_thread() -> None:
    """Limit the linear-algebra libraries of this process to one thread each, from now on.

    threadpoolctl limits only the libraries already loaded, so numpy (and with it OpenBLAS) is loaded first:
    called at the very start of a process, before anything imported numpy, the limit would otherwise hold
    nothing and OpenBLAS would start a thread per core."""
    import numpy  # noqa: F401  (loads the library to limit)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def cores() -> int:
    """The cores this process may use (its CPU affinity on Linux)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_job(job_workers: int) -> int:
    """Monte Carlo threads for each of ``job_workers`` job processes: the cores shared out between them.

    The job processes are the server's way of using its cores side by side; a job that also split its runs
    over every core would, with a second job running, put two threads on each core and make both jobs wait
    for each other (and for the pages).

    >>> threads_per_job(job_workers=10**6)
    1
    """
    return max(1, cores() // max(1, job_workers))


def job_process(threads: int) -> None:
    """Set up a job process: one linear-algebra thread, ``threads`` Monte Carlo threads (unless the
    administrator set ``PLACECAST_THREADS``)."""
    import os

    one_blas_thread()
    os.environ.setdefault("PLACECAST_THREADS", str(threads))
