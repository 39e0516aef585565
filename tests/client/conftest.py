"""Fixtures of the CLI tests: the platform deployed on the session's Ganache, a deployments
file describing it, the session's IPFS node, and `bounty` run in-process (Typer's CliRunner)."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner, Result
from web3 import HTTPProvider, Web3
from web3.contract import Contract

from backend.core.config import Settings, get_settings
from backend.db import make_engine
from backend.main import create_app
from backend.services.database import migrate
from backend.services.deployments import load_deployments
from backend.services.indexer import PROJECTIONS, FollowedContract, Indexer, IndexerConfig
from client.cli import app
from client.wallets import dev_account
from devstack.contracts import deploy, deploy_platform
from devstack.services import LocalChain, LocalIpfsNode


@dataclass
class Platform:
    """The contracts of one test, the chain they are on, and their deployments file."""

    w3: Web3
    challenge: Contract
    teams: Contract
    microtask: Contract
    token: Contract
    deployments_file: Path

    def time_travel(self, seconds: int) -> None:
        """Move the chain's clock forward (deadlines) and mine a block."""
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def balance(self, index: int) -> int:
        return int(self.w3.eth.get_balance(dev_account(index).address))


@pytest.fixture
def platform(running_chain: LocalChain, tmp_path: Path) -> Platform:
    """Both escrows (and the teams registry) deployed afresh, a TestToken minted to the dev
    accounts, and a deployments file like the one `make up` writes."""
    w3 = Web3(HTTPProvider(running_chain.rpc_url, request_kwargs={"timeout": 10}, exception_retry_configuration=None))
    w3.eth.default_account = w3.eth.accounts[0]
    deployed = deploy_platform(w3)
    token, _ = deploy(w3, "TestToken")
    for account in w3.eth.accounts[:6]:
        w3.eth.wait_for_transaction_receipt(token.functions.mint(account, 10**24).transact())
    file = tmp_path / "deployments.json"
    deployed.write_deployments(w3, file)
    return Platform(w3, deployed.challenge, deployed.teams, deployed.microtask, token, file)


@dataclass
class Bounty:
    """`bounty` with the test's settings; `ok(...)` asserts success, `fails(...)` a clean error."""

    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (
            f"bounty {' '.join(args)} failed ({result.exit_code}): {result.stderr}{result.stdout}"
        )
        return result

    def json(self, *args: str, input: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", input=input).stdout)

    def fails(self, *args: str, code: int, says: str, input: str | None = None) -> Result:
        """The command fails with exit code `code` and one error line containing `says`."""
        result = self(*args, input=input)
        assert result.exit_code == code, f"exit {result.exit_code}, expected {code}: {result.stderr}{result.stdout}"
        lines = [line for line in result.stderr.splitlines() if "error:" in line]
        assert len(lines) == 1, result.stderr
        assert says in lines[0], lines[0]
        return result


@pytest.fixture
def bounty(
    platform: Platform,
    running_ipfs_node: LocalIpfsNode,
    running_chain: LocalChain,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Bounty]:
    monkeypatch.setenv("CROWDBOUNTY_RPC_URL", running_chain.rpc_url)
    monkeypatch.setenv("CROWDBOUNTY_IPFS_API_URL", running_ipfs_node.api_url)
    monkeypatch.setenv("CROWDBOUNTY_DEPLOYMENTS_FILE", str(platform.deployments_file))
    monkeypatch.setenv("CROWDBOUNTY_WALLET_DIR", str(tmp_path / "wallets"))
    monkeypatch.setenv("CROWDBOUNTY_UPLOAD_QUEUE_DIR", str(tmp_path / "upload-queue"))
    monkeypatch.setenv("CROWDBOUNTY_BACKEND_URL", "http://127.0.0.1:9")  # nothing listens: backend calls fail clearly
    monkeypatch.delenv("CROWDBOUNTY_ACCOUNT", raising=False)
    monkeypatch.delenv("CROWDBOUNTY_WALLET_PASSWORD", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # Rich wraps at the terminal width; keep error lines whole
    yield Bounty(CliRunner())


def write_challenge(folder: Path, **fields: Any) -> Path:
    """A challenge file (Markdown with YAML front matter) and its agreement, in `folder`."""
    (folder / "agreement.md").write_text("# Agreement\n\nThe winner assigns the IP to the seeker.\n")
    front = {
        "title": "Cheaper water filters",
        "kind": "ideation",
        "prizes": ["1.0"],
        "submission_deadline": "+7d",
        "evaluation_deadline": "+14d",
        "agreement": "agreement.md",
        "tags": ["water"],
        **fields,
    }
    lines = [f"{key}: {json.dumps(value)}" for key, value in front.items()]
    path = folder / "challenge.md"
    path.write_text("---\n" + "\n".join(lines) + "\n---\nFind a filter that costs under $1.\n")
    return path


@dataclass
class Backend:
    """The backend's API served over HTTP (uvicorn in a thread) on a migrated SQLite
    database, with the indexer that feeds it (run on demand with `index()`)."""

    url: str
    indexer: Indexer

    def index(self) -> None:
        self.indexer.run_once()


@contextmanager
def _serve_backend(platform: Platform, ipfs_api_url: str, folder: Path) -> Iterator[Backend]:
    engine = make_engine(f"sqlite:///{folder / 'backend.db'}")
    migrate(engine)
    settings = Settings(ipfs_api_url=ipfs_api_url, deployments_file=platform.deployments_file)
    app = create_app()
    app.state.engine = engine  # the lifespan (which migrates the configured database) is not run
    app.dependency_overrides[get_settings] = lambda: settings
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    followed = [
        FollowedContract(name, deployed.address, deployed.abi, deployed.block)
        for name, deployed in load_deployments(platform.deployments_file).contracts.items()
    ]
    indexer = Indexer(
        platform.w3,
        engine,
        followed,
        config=IndexerConfig(poll_interval_s=0.2),
        projections=PROJECTIONS,
        expected_chain_id=1337,
    )
    try:
        yield Backend(f"http://127.0.0.1:{port}", indexer)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture
def backend(
    bounty: Bounty,
    platform: Platform,
    running_ipfs_node: LocalIpfsNode,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Backend]:
    """The API over HTTP; its indexer runs when the test calls `index()`."""
    with _serve_backend(platform, running_ipfs_node.api_url, tmp_path) as served:
        monkeypatch.setenv("CROWDBOUNTY_BACKEND_URL", served.url)
        yield served


@pytest.fixture
def live_backend(
    bounty: Bounty,
    platform: Platform,
    running_ipfs_node: LocalIpfsNode,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Backend]:
    """The API over HTTP with its indexer following the chain, as on the `make up` stack."""
    with _serve_backend(platform, running_ipfs_node.api_url, tmp_path) as served:
        monkeypatch.setenv("CROWDBOUNTY_BACKEND_URL", served.url)
        stop = threading.Event()
        following = threading.Thread(target=served.indexer.run_forever, args=(stop,), daemon=True)
        following.start()
        yield served
        stop.set()
        following.join(timeout=10)
