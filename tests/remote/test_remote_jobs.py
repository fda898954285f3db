"""The concurrency helpers of `--jobs`: which job count a pool allows, and unordered mapping."""

from __future__ import annotations

import threading
import time

from umi_cli.cli.batch import effective_jobs, map_unordered
from umi_cli.engine import BackendPool


def test_map_unordered_runs_jobs_at_once_and_yields_each_result() -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return n * n

    assert sorted(map_unordered(work, range(6), 3)) == [n * n for n in range(6)]
    assert most[0] == 3
    assert list(map_unordered(work, range(4), 1)) == [0, 1, 4, 9]  # in order, one at a time


def test_an_in_process_model_allows_one_job(tiny_gguf) -> None:
    from umi_cli.models.refs import FileRef

    with BackendPool() as pool:
        assert effective_jobs(4, pool) == (4, None)  # nothing open: nothing limits
        pool.open(FileRef(tiny_gguf), 512)
        jobs, note = effective_jobs(4, pool)
        assert jobs == 1 and note is not None and "in-process llama.cpp" in note
        assert effective_jobs(1, pool) == (1, None)
