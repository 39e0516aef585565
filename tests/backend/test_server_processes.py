"""The served backend's processes: with several uvicorn workers, none outlives its master."""

import os
import signal
import time
from pathlib import Path

import pytest

from devstack.process import port_is_open
from devstack.services import LocalBackend

GONE_WITHIN_S = 10.0


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(child) for task in tasks.iterdir() for child in (task / "children").read_text().split()]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit is reaped by whoever adopted it, maybe late)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_workers_die_with_a_sigkilled_master_and_free_the_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROWDBOUNTY_DEV_BACKEND_WORKERS", "2")
    backend = LocalBackend(tmp_path, {"CROWDBOUNTY_DATABASE_URL": f"sqlite:///{tmp_path / 'backend.db'}"})
    backend.start()
    record = backend.process.record
    assert record is not None
    workers = _children(record.pid)
    try:
        assert len(workers) >= 2  # uvicorn's workers (and maybe multiprocessing's resource tracker)

        os.kill(record.pid, signal.SIGKILL)

        deadline = time.monotonic() + GONE_WITHIN_S
        while any(_running(pid) for pid in workers) or port_is_open("127.0.0.1", backend.port):
            assert time.monotonic() < deadline, "a worker outlived its master and holds the port"
            time.sleep(0.1)
    finally:
        backend.stop()
        for pid in filter(_running, workers):  # only when the test failed
            os.kill(pid, signal.SIGKILL)
