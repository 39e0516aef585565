"""The local platform as a user runs it: `up`, `/health`, `down`, `up` again, crashes.

Each test starts the real supervisor (Ganache, js-ipfs, Brownie deployment, backend) in a
private data folder on free ports, so it never touches a developer's running stack.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.process import free_port, port_is_open, process_start_ticks
from devstack.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

RESTART_DEADLINE_S = 60


class Stack:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = {name: free_port() for name in ("CHAIN", "IPFS_API", "IPFS_GATEWAY", "BACKEND")}
        self.env = {
            **os.environ,
            "CROWDBOUNTY_DEV_DATA_DIR": str(data_dir),
            **{f"CROWDBOUNTY_DEV_{name}_PORT": str(port) for name, port in self.ports.items()},
        }

    def devstack(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devstack", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def up(self) -> subprocess.CompletedProcess[str]:
        result = self.devstack("up", "--detach")
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    @property
    def backend_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['BACKEND']}"

    @property
    def chain_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['CHAIN']}"

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.backend_url}/health", timeout=10)

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = json.loads(self.devstack("status", "--json").stdout)
        return status

    def pids(self) -> dict[str, int]:
        return {name: info["pid"] for name, info in self.status()["services"].items()}

    def rpc(self, method: str, *params: Any) -> Any:
        reply = httpx.post(self.chain_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        return reply.json()["result"]

    def deployments(self) -> dict[str, Any]:
        deployments: dict[str, Any] = json.loads((self.data_dir / "deployments.json").read_text())
        return deployments


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(tmp_path / "data")
    yield stack
    stack.devstack("down")


def _wait_until_healthy(stack: Stack, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if stack.health().status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the stack was not healthy again within {deadline_s} s")


def test_up_reports_every_component_healthy(stack: Stack) -> None:
    stack.up()
    report = stack.health()
    assert report.status_code == 200
    body = report.json()
    assert body["status"] == "ok"
    assert body["chain"]["chain_id"] == 1337
    assert set(body["contracts"]["addresses"]) == {"ChallengeEscrow", "ChallengeTeams", "MicrotaskEscrow"}
    assert body["ipfs"]["ok"] and body["database"]["ok"]
    assert body["indexer"]["ok"] and body["indexer"]["last_block"] >= 0


def test_down_stops_exactly_the_started_processes(stack: Stack) -> None:
    stack.up()
    pids = stack.pids()
    assert all(pids.values())
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert stack.devstack("down").returncode == 0
        assert all(process_start_ticks(pid) is None for pid in pids.values())
        assert not any(port_is_open("127.0.0.1", port) for port in stack.ports.values() if port)
        assert bystander.poll() is None
    finally:
        bystander.kill()


def test_up_again_keeps_chain_state_and_reuses_deployment(stack: Stack) -> None:
    stack.up()
    sender, receiver = stack.rpc("eth_accounts")[:2]
    stack.rpc("eth_sendTransaction", {"from": sender, "to": receiver, "value": hex(10**18)})
    balance = int(stack.rpc("eth_getBalance", receiver, "latest"), 16)
    block = int(stack.rpc("eth_blockNumber"), 16)
    first_deployment = stack.deployments()
    stack.devstack("down")

    stack.up()

    assert int(stack.rpc("eth_blockNumber"), 16) == block
    assert int(stack.rpc("eth_getBalance", receiver, "latest"), 16) == balance
    assert stack.deployments()["contracts"] == first_deployment["contracts"]
    assert "reusing" in (stack.data_dir / "run" / "deploy.log").read_text().rsplit("Brownie", 1)[1]
    assert stack.health().status_code == 200
    assert not list(stack.data_dir.glob("backend.db.before-*"))  # the index is of these contracts: kept


def test_up_on_a_new_chain_moves_the_old_index_aside_and_indexes_afresh(stack: Stack) -> None:
    stack.up()
    stack.devstack("down")
    shutil.rmtree(stack.data_dir / "chain")  # a reset chain: a new genesis, the contracts deployed again

    result = stack.up()

    assert "the index was of other contracts" in result.stdout
    (moved,) = stack.data_dir.glob("backend.db.before-*[0-9]")
    assert moved.stat().st_size > 0
    indexed = json.loads((stack.data_dir / "backend.db.deployment.json").read_text())
    assert indexed["genesis_hash"] == stack.deployments()["genesis_hash"]
    _wait_until_healthy(stack, RESTART_DEADLINE_S)


@pytest.mark.parametrize("service", ["chain", "ipfs", "indexer", "backend"])
def test_service_killed_with_sigkill_is_restarted(stack: Stack, service: str) -> None:
    stack.up()
    old_pid = stack.pids()[service]
    os.kill(old_pid, signal.SIGKILL)
    # /health alone cannot tell: it reads the indexer's committed progress, not its process.
    deadline = time.monotonic() + RESTART_DEADLINE_S
    while stack.pids()[service] in (None, old_pid):
        assert time.monotonic() < deadline, f"{service} was not restarted within {RESTART_DEADLINE_S} s"
        time.sleep(0.5)
    _wait_until_healthy(stack, RESTART_DEADLINE_S)
    assert f"{service} died (killed by SIGKILL)" in (stack.data_dir / "run" / "supervisor.log").read_text()


def test_busy_port_is_reported_clearly_without_hanging(stack: Stack) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", stack.ports["IPFS_API"]))
        squatter.listen()
        started = time.monotonic()
        result = stack.devstack("up", "--detach")
    assert result.returncode == 1
    assert f"port {stack.ports['IPFS_API']} on 127.0.0.1 is in use by process {os.getpid()}" in result.stderr
    assert "CROWDBOUNTY_DEV_IPFS_API_PORT" in result.stderr
    assert time.monotonic() - started < 60
    assert not port_is_open("127.0.0.1", stack.ports["CHAIN"])  # what had started was stopped


def test_stale_pid_file_is_removed_and_the_stack_starts(stack: Stack) -> None:
    finished = subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert finished.returncode == 0
    run_dir = stack.data_dir / "run"
    run_dir.mkdir(parents=True)
    # A PID that no longer runs, as a crashed machine would leave behind.
    (run_dir / "chain.pid").write_text(json.dumps({"name": "chain", "pid": 2**22 - 1, "start_ticks": 1}))
    result = stack.up()
    assert "Removing stale PID file of chain" in result.stdout
    assert stack.health().status_code == 200


def test_supervisor_killed_with_sigkill_leaves_nothing_that_blocks_the_next_up(stack: Stack) -> None:
    stack.up()
    status = stack.status()
    for pid in [status["supervisor_pid"], *status["services"].values()]:
        os.kill(pid if isinstance(pid, int) else pid["pid"], signal.SIGKILL)
    time.sleep(0.5)
    assert (stack.data_dir / "ipfs" / "repo.lock").exists()  # what js-ipfs leaves after SIGKILL

    stack.up()

    assert stack.health().status_code == 200


def test_ctrl_c_in_the_foreground_stops_every_service(stack: Stack) -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up"],
        cwd=PROJECT_ROOT,
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_healthy(stack, RESTART_DEADLINE_S)
        pids = stack.pids()
        supervisor.send_signal(signal.SIGINT)
        output, _ = supervisor.communicate(timeout=60)
    finally:
        supervisor.kill()
    assert supervisor.returncode == 0
    assert "SIGINT received: stopping the stack" in output
    assert "Stack stopped." in output
    assert all(process_start_ticks(pid) is None for pid in pids.values())


def test_down_stops_a_supervisor_running_in_a_terminal(stack: Stack) -> None:
    # As `make up` in a terminal: the supervisor shares its parent's process group.
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up"], cwd=PROJECT_ROOT, env=stack.env, stdout=subprocess.DEVNULL
    )
    try:
        _wait_until_healthy(stack, RESTART_DEADLINE_S)
        assert os.getpgid(supervisor.pid) != supervisor.pid
        pids = stack.pids()
        started = time.monotonic()
        assert stack.devstack("down").returncode == 0
        assert time.monotonic() - started < 30
        assert supervisor.wait(timeout=30) == 0
    finally:
        supervisor.kill()
    assert all(process_start_ticks(pid) is None for pid in pids.values())
