"""How a Placecast process uses the cores: its own threads and processes, not the linear-algebra library's.

Placecast's matrix products are many small ones (ten placement categories): split across threads by
OpenBLAS they cost about twice the CPU for no gain in time (the planner's preview: 94 ms on one thread,
106 ms and 207 ms of CPU on two), and in the web server, where requests already run side by side, the
extra threads take the cores from the background jobs. Placecast parallelises its own work instead
(blocks of Monte Carlo runs, job processes, Dask workers), so every entry point limits the library to one
thread, through threadpoolctl (which knows each library's own switch)."""

from __future__ import annotations


def one_blas_thread() -> None:
    """Limit the linear-algebra libraries loaded in this process to one thread each, from now on."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
