"""Running the fleet model: work chunks, backends (in-process, local processes, Dask) and the run loop.

Theory of operation: the fleet is cut into fixed blocks of ``BLOCK_PREMISES`` premises; a work chunk is a
run of consecutive blocks of one replicate. Any backend computes the chunks' block sums (pure functions of
the scenario, the replicate and the block index); only this process writes them to the store, one
transaction per chunk, so an interrupted run keeps every finished chunk and continues with the missing
blocks. The final metrics are derived from block sums in a fixed order (``store.block_sums``), so the same
scenario gives the same bits in-process, in local processes and on Dask, whatever the chunk size.
Dask is imported lazily, only here.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from smetslab import __version__
from smetslab.errors import InputError
from smetslab.fleet import store
from smetslab.fleet.model import BLOCK_PREMISES, ModelParams, block_count, evaluate_block, finalise
from smetslab.fleet.scenario import Scenario
from smetslab.policy.options import OPTIONS, combine

__all__ = ["RunSummary", "run", "run_in_memory", "DEFAULT_CHUNK_BLOCKS", "plan_chunks", "compute_chunk",
           "local_cluster"]

DEFAULT_CHUNK_BLOCKS = 8
Progress = Callable[[int, int], None]
BlockResult = dict[int, dict[str, dict[str, float]]]  # block -> option -> sum key -> value


@dataclass(frozen=True)
class RunSummary:
    """What ``run`` did: where the results are, and how much it computed versus reused."""

    db_path: Path
    scenario_name: str
    seed: int
    status: str
    backend: str
    n_chunks: int
    chunks_computed: int
    chunks_reused: int
    chunk_premises: int


def compute_chunk(params: ModelParams, replicate: int, blocks: tuple[int, ...]) -> tuple[int, BlockResult]:
    """Block sums of every option for the given blocks of one replicate (runs on any backend)."""
    effects = {o: combine(o) for o in params.options}
    return replicate, {b: evaluate_block(params, replicate, b, effects) for b in blocks}


def plan_chunks(premises: int, replicates: int, chunk_blocks: int,
                done: set[tuple[int, int]] | None = None) -> list[tuple[int, tuple[int, ...]]]:
    """Work units (replicate, blocks): consecutive runs of at most ``chunk_blocks`` blocks not yet done."""
    done = done or set()
    nb = block_count(premises)
    units: list[tuple[int, tuple[int, ...]]] = []
    for r in range(replicates):
        for c0 in range(0, nb, chunk_blocks):
            missing = tuple(b for b in range(c0, min(nb, c0 + chunk_blocks)) if (r, b) not in done)
            if missing:
                units.append((r, missing))
    return units


def _chunk_blocks(chunk_premises: int | None) -> int:
    if chunk_premises is None:
        return DEFAULT_CHUNK_BLOCKS
    if isinstance(chunk_premises, bool) or not isinstance(chunk_premises, int) or chunk_premises < BLOCK_PREMISES \
            or chunk_premises % BLOCK_PREMISES:
        raise InputError(f"chunk_premises {chunk_premises!r}: must be a positive multiple of {BLOCK_PREMISES} "
                         f"(the block size; chunks are unions of whole blocks)")
    return chunk_premises // BLOCK_PREMISES


def _check_workers(workers: int | None) -> int | None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"workers {workers!r}: must be an integer >= 1")
    return workers


# -- backends ----------------------------------------------------------------------------------------------
def _run_units(params: ModelParams, units: list[tuple[int, tuple[int, ...]]], workers: int | None,
               scheduler: str | None) -> tuple[str, Iterator[tuple[int, BlockResult]]]:
    """(backend name, iterator of chunk results in completion order)."""
    if scheduler is not None:
        return _dask(params, units, workers, scheduler)
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n <= 1 or len(units) <= 1:
        return "in-process", (compute_chunk(params, r, b) for r, b in units)
    return f"processes:{min(n, len(units))}", _processes(params, units, min(n, len(units)))


def _processes(params: ModelParams, units: list[tuple[int, tuple[int, ...]]],
               n: int) -> Iterator[tuple[int, BlockResult]]:
    # fork where it is safe (Linux): spawn would re-import the caller's __main__, which breaks scripts
    # without an `if __name__ == "__main__"` guard. The pool starts (forks) here, eagerly, and ``run``
    # calls this while its DuckDB connection is closed, so no database thread or lock is copied.
    ctx = get_context("fork" if sys.platform == "linux" else "spawn")
    # SIGINT/SIGTERM stay blocked while the workers fork, so none arrives in a child before its initializer
    # has made it ignore SIGINT (it would die with a traceback of its own); a signal meanwhile waits for the
    # parent and is handled there once unblocked.
    with _signals_blocked():
        pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init,
                                   initargs=(os.getpid(),))
        futures: list[Future[tuple[int, BlockResult]]] = [pool.submit(compute_chunk, params, r, b)
                                                          for r, b in units]

    def gen() -> Iterator[tuple[int, BlockResult]]:
        try:
            for f in as_completed(futures):
                yield f.result()
        except BaseException:  # interrupted, or closed early: stop the workers now rather than after their chunk
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)

    return gen()


_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_WATCH_PARENT_S = 0.5
_PR_SET_PDEATHSIG = 1


@contextmanager
def _signals_blocked() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _worker_init(parent_pid: int) -> None:
    """Runs first in each worker: never act on a terminal's Ctrl-C, and never outlive the parent.

    The terminal sends SIGINT to the whole process group; the parent decides what happens (it terminates
    the workers as it unwinds), so a worker ignores SIGINT and dies at once on SIGTERM. If the parent dies
    without that (SIGKILL, a crash), Linux sends the worker SIGKILL (PR_SET_PDEATHSIG), and everywhere a
    watchdog thread sees the parent change and exits, so no worker is left holding the caller's pipes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_WATCH_PARENT_S)
        os._exit(1)

    threading.Thread(target=watch, name="smetslab-parent-watch", daemon=True).start()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started, terminate the workers (their chunks are lost, not half-written: only
    the parent writes), and wait a bounded time for them to go."""
    # the executor's own thread cancels the pending futures (cancelling them here races with it marking
    # them broken once the workers are gone, which raises InvalidStateError in that thread)
    pool.shutdown(wait=False, cancel_futures=True)
    # the executor has no public way to stop running tasks; its process table is the only handle on them
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for p in workers:
        with suppress(Exception):
            p.terminate()
    for p in workers:
        p.join(timeout=2.0)
        if p.is_alive():  # pragma: no cover - SIGTERM is not ignored in workers
            with suppress(Exception):
                p.kill()
    pool.shutdown(wait=True)


def local_cluster(workers: int) -> Any:
    """A local Dask cluster of ``workers`` single-threaded worker processes, tuned for this engine.

    Dask's nannies set ``MALLOC_TRIM_THRESHOLD_=65536`` in their workers, which makes glibc hand memory back
    after every free of the model's 64 KB block arrays; measured here it slows the engine by about 60%, so the
    workers we start get a high threshold instead. (Workers of a remote cluster keep their own settings.)
    """
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 1 << 30}), \
            _quiet_dask_children():
        # the scheduler's HTTP server on a free port: the fixed default (8787) may be another program's, which
        # only earns a warning on the caller's stderr
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")


@contextmanager
def _quiet_dask_children() -> Iterator[None]:
    """The worker processes of a local cluster leave Ctrl-C to us, as our own workers do (``_worker_init``).

    Dask starts them with fork+exec, which resets the signal mask but keeps an *ignored* SIGINT, and Python
    then never installs its KeyboardInterrupt handler (nor does asyncio): so SIGINT is ignored here while the
    cluster starts, and a terminal's Ctrl-C to the process group then reaches only this process, which closes
    the cluster. SIGINT is also blocked in this thread meanwhile, and Linux keeps a blocked signal pending even
    when it is ignored, so a Ctrl-C during the start is handled once it is over rather than lost (unless a
    helper thread that does not block it, such as a terminal progress bar's, takes it). Their log level is
    raised to critical, so closing the cluster mid-run prints no warnings or lost-connection errors over the
    interrupted line; Dask's own parent watch ends them if this process dies.
    """
    key = "DASK_LOGGING__DISTRIBUTED"
    before = os.environ.get(key)
    os.environ[key] = "critical"
    in_main = threading.current_thread() is threading.main_thread()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if hasattr(signal, "pthread_sigmask") else None
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
    try:
        yield
    finally:
        if in_main:
            signal.signal(signal.SIGINT, handler if handler is not None else signal.SIG_DFL)
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def _dask(params: ModelParams, units: list[tuple[int, tuple[int, ...]]], workers: int | None,
          scheduler: str) -> tuple[str, Iterator[tuple[int, BlockResult]]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - depends on the install
        raise InputError("scheduler given but Dask is not installed; pip install 'smetslab[dask]'") from None
    local = scheduler == "local"
    name = f"dask:local:{workers or 2}" if local else f"dask:{scheduler}"

    def gen() -> Iterator[tuple[int, BlockResult]]:
        cluster: Any = None
        try:
            if local:
                cluster = local_cluster(workers or 2)
                client = Client(cluster)
            else:
                client = Client(scheduler, timeout="20s")
        except (OSError, ValueError, TypeError) as exc:  # refused, timed out, or an address Dask cannot parse
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise InputError(f"scheduler {scheduler[:60]!r}: cannot connect ({reason}); give a Dask scheduler "
                             f"address such as tcp://host:8786, or 'local'") from None
        try:
            futs = [client.submit(compute_chunk, params, r, b, pure=False) for r, b in units]
            for f in dask_completed(futs):
                yield f.result()
        except BaseException:
            # stopped mid-run (a signal, or the loop closed early): the client and the scheduler would log every
            # forgotten task as they close; the caller reports the interruption in one line
            logging.getLogger("distributed").setLevel(logging.CRITICAL)
            raise
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return name, gen()


@contextmanager
def closing_iterator(it: Iterator[Any]) -> Iterator[None]:
    """Close a backend's result generator as soon as the loop over it ends, normally or not: its clean-up
    (stop the workers, close the Dask client) must run now, not whenever the traceback lets it be collected."""
    try:
        yield
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


# -- the run loop ------------------------------------------------------------------------------------------
def _option_rows(options: tuple[str, ...]) -> list[tuple[str, str, str, bool, bool]]:
    rows = []
    for o in options:
        eff = combine(o)
        title = " + ".join(OPTIONS[c].title for c in eff.components)
        rows.append((o, title, ",".join(eff.components), eff.cpa_needed, eff.new_hardware_only))
    return rows


def _finalise_all(params: ModelParams, sums: dict[tuple[str, int], dict[str, float]],
                  replicates: int) -> dict[tuple[str, int, str], float]:
    out: dict[tuple[str, int, str], float] = {}
    for o in params.options:
        for r in range(replicates):
            for m, v in finalise(params, o, sums[(o, r)]).items():
                out[(o, r, m)] = v
    return out


def run(scenario: Scenario, db_path: str | Path, *, workers: int | None = None, scheduler: str | None = None,
        progress: Progress | None = None, recompute: bool = False,
        chunk_premises: int | None = None) -> RunSummary:
    """Run (or continue) the scenario into the DuckDB file ``db_path``.

    A finished run of the same scenario is not recomputed unless ``recompute``; an unfinished one continues
    with the blocks still missing. ``workers``: local processes (default: one per CPU; 1 = in-process);
    ``scheduler``: a Dask scheduler address, or ``"local"`` for a local Dask cluster of ``workers`` workers.
    ``progress(done_chunks, total_chunks)`` is called as chunks finish. Raises InputError when the file holds
    another scenario's run.
    """
    _check_workers(workers)
    chunk_blocks = _chunk_blocks(chunk_premises)
    params = ModelParams.from_scenario(scenario)
    db = Path(db_path)
    con = store.open_store(db)
    try:
        if recompute:
            store.reset(con)
        info = store.read_info(con)
        sha = scenario.sha256()
        if info and info.get("scenario_sha256") != sha:
            raise InputError(f"results file {str(db)!r}: holds a run of another scenario "
                             f"({info.get('scenario_name')!r}, sha256 {info.get('scenario_sha256', '?')[:12]}); "
                             f"use another file or recompute")
        if info.get("status") == "finished":
            total = len(plan_chunks(scenario.premises, scenario.replicates, int(info.get("chunk_blocks", 1))))
            if progress:
                progress(total, total)
            return RunSummary(db, scenario.name, scenario.seed, "finished", info.get("backend", "?"), total, 0,
                              total, int(info.get("chunk_premises", 0)))
        if info:  # continue with the chunking the run started with
            chunk_blocks = int(info.get("chunk_blocks", chunk_blocks))
        all_units = plan_chunks(scenario.premises, scenario.replicates, chunk_blocks)
        todo = plan_chunks(scenario.premises, scenario.replicates, chunk_blocks, store.done_blocks(con))
        reused = len(all_units) - len(todo)
        con.close()  # workers start (fork) while no database connection is open
        backend, results = _run_units(params, todo, workers, scheduler) if todo else ("none", iter(()))
        con = store.open_store(db)
        store.write_info(con, {
            "scenario_name": scenario.name, "scenario_json": scenario.canonical_json(), "scenario_sha256": sha,
            "seed": str(scenario.seed), "version": __version__, "status": "running",
            "chunk_premises": str(chunk_blocks * BLOCK_PREMISES), "chunk_blocks": str(chunk_blocks),
            "block_premises": str(BLOCK_PREMISES), "n_chunks": str(len(all_units)), "backend": backend,
            "replicates": str(scenario.replicates), "premises": str(scenario.premises),
            "options_order": store.info_json(list(scenario.options)),
        })
        done = reused
        if progress:
            progress(done, len(all_units))
        with closing_iterator(results):
            for replicate, blocks in results:
                store.write_blocks(con, replicate, blocks)
                done += 1
                if progress:
                    progress(done, len(all_units))
        values = _finalise_all(params, store.block_sums(con), scenario.replicates)
        store.write_metrics(con, values, _option_rows(params.options))
        return RunSummary(db, scenario.name, scenario.seed, "finished", backend, len(all_units),
                          len(todo), reused, chunk_blocks * BLOCK_PREMISES)
    finally:
        con.close()


def run_in_memory(scenario: Scenario, *, workers: int | None = None, scheduler: str | None = None,
                  chunk_premises: int | None = None) -> dict[tuple[str, int, str], float]:
    """Run the scenario without a results file: (option, replicate, metric) -> value (same numbers as ``run``)."""
    _check_workers(workers)
    params = ModelParams.from_scenario(scenario)
    units = plan_chunks(scenario.premises, scenario.replicates, _chunk_blocks(chunk_premises))
    _, results = _run_units(params, units, workers, scheduler)
    parts: dict[tuple[str, int, str], dict[int, float]] = defaultdict(dict)
    with closing_iterator(results):
        for replicate, blocks in results:
            for b, per_opt in blocks.items():
                for o, block_sums in per_opt.items():
                    for k, v in block_sums.items():
                        parts[(o, replicate, k)][b] = v
    sums: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for (o, r, k), by_block in parts.items():
        sums[(o, r)][k] = math.fsum(by_block[b] for b in sorted(by_block))
    return _finalise_all(params, sums, scenario.replicates)
