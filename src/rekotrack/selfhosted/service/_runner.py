"""Where analyses run: the single-machine pool of worker processes (the Celery runner is in ``_celery``).

:class:`LocalRunner` keeps ``workers`` slots; each slot is a thread that owns a one-process
:class:`~concurrent.futures.ProcessPoolExecutor` and hands it one job at a time. A worker process
that dies (SIGKILL, out of memory) therefore breaks only its own executor: the job it was running
ends FAILED, the slot starts a fresh process, and the jobs queued behind it run as usual (one
shared pool would fail every queued job with ``BrokenProcessPool``).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from rekotrack.selfhosted.service._jobs import JobSpec, WorkResult, parse
from rekotrack.selfhosted.service._worker import INTERNAL_FAILURE, FileProgress, init_worker, run_job
from rekotrack.selfhosted.vision._settings import AnalyzerSettings

__all__ = ["WORKER_LOST", "Done", "LocalRunner"]

_log = logging.getLogger("rekotrack.selfhosted")

WORKER_LOST = INTERNAL_FAILURE
"""The StatusMessage of a job whose worker process died under it."""

Done = Callable[[str, WorkResult], None]
"""``done(job_id, result)``: what the job's worker handed back (or FAILED when it died)."""


@dataclass(frozen=True)
class _Task:
    job_id: str
    spec: JobSpec
    settings: AnalyzerSettings
    out_dir: str
    done: Done
    progress_file: str | None = None


class LocalRunner:
    """``workers`` analyses at once, each in its own spawned process; more jobs wait in a queue."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self._queue: queue.Queue[_Task | None] = queue.Queue()
        self._lock = threading.Lock()
        self._slots: list[threading.Thread] = []
        self._executors: list[ProcessPoolExecutor | None] = [None] * workers
        self._closing = threading.Event()

    def submit(self, job_id: str, spec: JobSpec, settings: AnalyzerSettings, out_dir: str,
               done: Done, progress_file: str | None = None) -> None:
        """Queue one job; ``done`` is called from a slot thread when it ends (not after :meth:`close`).

        With ``progress_file``, the worker keeps the frames it has analysed there (``_worker.read_progress``)."""
        with self._lock:
            if not self._slots:
                self._closing.clear()
                self._slots = [threading.Thread(target=self._slot, args=(n,), name=f"rekotrack-slot-{n}",
                                                daemon=True) for n in range(self.workers)]
                for slot in self._slots:
                    slot.start()
        self._queue.put(_Task(job_id, spec, settings, out_dir, done, progress_file))

    def worker_pids(self) -> list[int]:
        """The process ids of the live worker processes (for operators and tests)."""
        with self._lock:
            executors = [e for e in self._executors if e is not None]
        return [p.pid for e in executors for p in _processes(e) if p.pid is not None and p.is_alive()]

    def close(self, timeout: float = 5.0) -> None:
        """Stop the slots and end the worker processes; queued and running jobs are dropped."""
        self._closing.set()
        with self._lock:
            slots, self._slots = self._slots, []
            executors, self._executors = self._executors, [None] * self.workers
        for _ in slots:
            self._queue.put(None)
        for executor in executors:
            if executor is not None:
                _end(executor, timeout)
        for slot in slots:
            slot.join(timeout)
        while not self._queue.empty():  # what was queued after the sentinels
            self._queue.get_nowait()

    def _executor(self, n: int) -> ProcessPoolExecutor:
        with self._lock:
            executor = self._executors[n]
            if executor is None:
                executor = self._executors[n] = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),  # never fork a threaded server
                    initializer=init_worker,
                    initargs=(logging.getLogger("rekotrack").getEffectiveLevel(),),
                )
            return executor

    def _slot(self, n: int) -> None:
        while True:
            task = self._queue.get()
            if task is None or self._closing.is_set():
                return
            result = self._run(n, task)
            if result is not None and not self._closing.is_set():
                try:
                    task.done(task.job_id, result)
                except Exception:  # a bug in the callback must not stop the slot
                    _log.exception("job %s: completion failed", task.job_id[:12])

    def _run(self, n: int, task: _Task) -> WorkResult | None:
        try:
            report = FileProgress(task.progress_file) if task.progress_file is not None else None
            future = self._executor(n).submit(run_job, task.job_id, task.spec, task.settings, task.out_dir, report)
            answer = future.result()
            # validated as it comes back from the worker process (unpickling checks nothing)
            return parse(WorkResult, answer.model_dump() if isinstance(answer, WorkResult) else answer,
                         f"the result of job {task.job_id[:12]}'s worker")
        except BrokenProcessPool as exc:  # this slot's process died: only this job is lost
            if self._closing.is_set():
                return None
            _log.error("job %s: its worker process died (%s): FAILED; the next job gets a new process",
                       task.job_id[:12], exc)
            with self._lock:
                broken, self._executors[n] = self._executors[n], None
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            return WorkResult.failed(WORKER_LOST)
        except Exception as exc:  # JobDataError included: a worker's answer that is not a WorkResult
            if self._closing.is_set():
                return None
            _log.error("job %s: worker failed: %r", task.job_id[:12], exc)
            return WorkResult.failed(INTERNAL_FAILURE)


def _processes(executor: ProcessPoolExecutor) -> list[Any]:
    return list((getattr(executor, "_processes", None) or {}).values())  # no public way before Python 3.14


def _end(executor: ProcessPoolExecutor, timeout: float) -> None:
    processes = _processes(executor)
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout)
