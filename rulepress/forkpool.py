"""Run a function over chunks of work in forked worker processes, results in chunk order as they arrive.

The build's pool. concurrent.futures' ProcessPoolExecutor did the same; this is smaller where it counts:
importing multiprocessing costs 14 ms at every start, and its feeder and result threads cost the parent
CPU while the workers run (together about 60 ms of a 10,000-file build). Here the parent writes every
chunk's number into one pipe before forking; each worker reads numbers from it (a 4-byte read from a pipe
is atomic), runs the function, and writes the pickled result to its own pipe; the parent waits on the
workers' pipes with a selector and hands results out in order.

Where os.fork is missing (Windows), ProcessPoolExecutor does the work.
"""

from __future__ import annotations

import gc
import os
import pickle
import selectors
import signal
import struct
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

_RECORD = struct.Struct("<I")
MAX_CHUNKS = 1024  # chunk numbers (4 bytes each) written before any worker reads: 4 KB fits any pipe


class WorkerError(RuntimeError):
    """A worker raised, or stopped without finishing its chunks."""


def map_chunks(fn: Callable[[Chunk], Result], chunks: Sequence[Chunk], workers: int) -> Iterator[Result]:
    """fn(chunk) for every chunk, computed in `workers` processes, yielded in the chunks' order."""
    if not hasattr(os, "fork"):
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, initializer=gc.disable) as pool:
            yield from pool.map(fn, chunks)
        return
    if len(chunks) > MAX_CHUNKS:
        raise ValueError(f"at most {MAX_CHUNKS} chunks")
    tasks_r, tasks_w = os.pipe()
    pids: dict[int, int] = {}  # result pipe -> worker pid
    done = False
    try:
        os.write(tasks_w, b"".join(_RECORD.pack(i) for i in range(len(chunks))))
        os.close(tasks_w)
        tasks_w = -1
        for _ in range(max(1, min(workers, len(chunks)))):
            results_r, results_w = os.pipe()
            try:
                pid = os.fork()
            except BaseException:
                os.close(results_r)
                os.close(results_w)
                raise
            if pid == 0:  # the worker: never returns
                os.close(results_r)
                _work(fn, chunks, tasks_r, results_w)
            os.close(results_w)
            pids[results_r] = pid
        os.close(tasks_r)
        tasks_r = -1
        yield from _collect(pids, len(chunks))
        done = True
    finally:
        for fd in (tasks_r, tasks_w, *pids):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        for pid in pids.values():
            if not done:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)


def _work(fn: Callable[[Any], Any], chunks: Sequence[Any], tasks: int, results: int) -> None:
    """A worker's life: take chunk numbers until the pipe is empty, send back each result."""
    status = 0
    try:
        gc.disable()  # the build makes no cycles
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the parent, which stops the workers
        while True:
            record = os.read(tasks, _RECORD.size)
            if len(record) < _RECORD.size:
                break
            (index,) = _RECORD.unpack(record)
            try:
                message = pickle.dumps((index, True, fn(chunks[index])), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
                message = pickle.dumps((index, False, traceback.format_exc()))
            _send(results, _RECORD.pack(len(message)) + message)
    except BaseException:  # noqa: BLE001 - a worker must end here, whatever happened
        status = 1
    finally:
        os._exit(status)  # no interpreter teardown, no atexit handlers and buffers of the parent's


def _send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _collect(pids: dict[int, int], count: int) -> Iterator[Any]:
    waiting: dict[int, Any] = {}
    buffers = {fd: bytearray() for fd in pids}
    next_index = 0
    with selectors.DefaultSelector() as selector:
        for fd in pids:
            selector.register(fd, selectors.EVENT_READ)
        while next_index < count:
            if not selector.get_map():
                raise WorkerError(f"a build worker stopped before finishing its work "
                                  f"({count - next_index} of {count} chunks missing)")
            for key, _ in selector.select():
                fd = int(key.fd)
                data = os.read(fd, 1 << 20)
                if not data:
                    selector.unregister(fd)
                    continue
                buffer = buffers[fd]
                buffer += data
                while len(buffer) >= _RECORD.size:
                    (size,) = _RECORD.unpack_from(buffer)
                    if len(buffer) < _RECORD.size + size:
                        break
                    view = memoryview(buffer)
                    try:
                        index, ok, payload = pickle.loads(view[_RECORD.size:_RECORD.size + size])
                    finally:
                        view.release()
                    del buffer[:_RECORD.size + size]
                    if not ok:
                        raise WorkerError(f"a build worker failed:\n{payload}")
                    waiting[index] = payload
            while next_index in waiting:
                yield waiting.pop(next_index)
                next_index += 1
