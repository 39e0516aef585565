import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack.settings import PROJECT_ROOT

TRANSACTIONS = 40
EVENTS_PER_TRANSACTION = 100


def _wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _write_deployments(path: Path, harness: Any) -> None:
    probe = harness.probe
    path.write_text(
        json.dumps(
            {
                "chain_id": 1337,
                "genesis_hash": "0x" + harness.w3.eth.get_block(0)["hash"].hex(),
                "contracts": {
                    "IndexerProbe": {
                        "address": probe.address,
                        "block": probe.block,
                        "tx": "0x" + "0" * 64,
                        "bytecode_sha1": "0" * 40,
                        "abi": probe.abi,
                    }
                },
            }
        )
    )


class IndexerProcess:
    """`python -m backend.services.indexer`, as the stack runs it, logging into one file."""

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        self.env = env
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backend.services.indexer"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        return self.process.wait(timeout=20)

    def log(self) -> str:
        return self.log_file.read_text()


@pytest.mark.slow
def test_an_indexer_killed_mid_backlog_resumes_without_losing_or_doubling_events(
    harness: Any, database_url: str, running_chain: Any, tmp_path: Path
) -> None:
    txs = [harness.emit_many(EVENTS_PER_TRANSACTION) for _ in range(TRANSACTIONS)]
    expected = harness.expected(txs)
    head = harness.head()
    deployments = tmp_path / "deployments.json"
    _write_deployments(deployments, harness)
    indexer = IndexerProcess(
        {
            **os.environ,
            "CROWDBOUNTY_RPC_URL": running_chain.rpc_url,
            "CROWDBOUNTY_DATABASE_URL": database_url,
            "CROWDBOUNTY_DEPLOYMENTS_FILE": str(deployments),
            # One block per range: the backlog takes many transactions, so a kill lands mid-way.
            "CROWDBOUNTY_INDEXER_INITIAL_BLOCK_RANGE": "1",
            "CROWDBOUNTY_INDEXER_MAX_BLOCK_RANGE": "1",
            "CROWDBOUNTY_INDEXER_POLL_INTERVAL_S": "0.1",
        },
        tmp_path / "indexer.log",
    )
    cursors_at_kill = []
    try:
        for _kill in range(3):
            start = harness.cursor() or harness.probe.block
            indexer.start()
            _wait_for(lambda s=start: (harness.cursor() or 0) >= s + 5, 60, "the indexer to make progress")
            assert indexer.signal(signal.SIGKILL) == -signal.SIGKILL
            cursors_at_kill.append(harness.cursor())
        indexer.start()
        _wait_for(lambda: harness.cursor() == head, 60, "the indexer to catch up")
        assert indexer.signal(signal.SIGTERM) == 0, indexer.log()
    finally:
        if indexer.process is not None and indexer.process.poll() is None:
            indexer.process.kill()
            indexer.process.wait()
    assert all(cursor < head for cursor in cursors_at_kill), "a kill came too late to test a restart mid-backlog"
    assert harness.events() == expected
    assert "stopping after the current transaction" in indexer.log()


def test_the_indexer_process_exits_with_one_clear_line_without_a_deployments_file(tmp_path: Path) -> None:
    env = {**os.environ, "CROWDBOUNTY_DEPLOYMENTS_FILE": str(tmp_path / "missing.json")}
    result = subprocess.run(
        [sys.executable, "-m", "backend.services.indexer"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no deployments file at" in result.stderr
    assert "run `make up`" in result.stderr
    assert "Traceback" not in result.stderr
