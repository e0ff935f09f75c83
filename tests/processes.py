"""Writers in processes of their own, started together: the harness of the race tests.

``race(work, argsets)`` forks one process per argument tuple; each waits until all are
started, runs ``work(*args)`` and reports what it returned, or the exception it raised as
``"error: Type: message"``. The reports come back in the order the processes finished.
A process ends with ``os._exit`` so that nothing of the parent (pytest's fixtures, open
ledgers) runs again in the child."""

from __future__ import annotations

import multiprocessing
import os
from typing import Any, Callable

fork = multiprocessing.get_context("fork")


def race(work: Callable[..., Any], argsets: list[tuple], *, timeout: float = 300) -> list[Any]:
    start, reports = fork.Event(), fork.Queue()
    procs = [fork.Process(target=_run, args=(work, args, start, reports)) for args in argsets]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=timeout)
    return [reports.get(timeout=10) for _ in procs]


def _run(work: Callable[..., Any], args: tuple, start: Any, reports: Any) -> None:
    start.wait()
    try:
        reports.put(work(*args))
    except BaseException as e:  # reported to the test, never swallowed
        reports.put(f"error: {type(e).__name__}: {e}")
    reports.close()
    reports.join_thread()  # flush before the hard exit
    os._exit(0)
