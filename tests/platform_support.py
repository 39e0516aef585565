"""The platform as the CLI and browser tests use it: the contracts deployed afresh on the
session's Ganache (with the deployments file `make up` would write), and the backend served
over HTTP on them, its indexer run on demand or following the chain as on the `make up` stack.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.types import RPCEndpoint

from backend.core.config import Settings, get_settings
from backend.db import make_engine
from backend.main import create_app
from backend.services.challenges.metadata import RetryPolicy, resolve_pending_metadata
from backend.services.database import migrate
from backend.services.deployments import load_deployments
from backend.services.indexer import (
    PROJECTIONS,
    Indexer,
    RunStats,
    config_from_settings,
    contracts_from_deployments,
)
from backend.services.microtasks.service import load_new_manifests
from backend.services.notifications import run_deadline_job
from backend.services.storage.ipfs import IpfsClient
from client.wallets import dev_account
from devstack.contracts import deploy, deploy_platform

SERVER_START_TIMEOUT_S = 10.0
THREAD_STOP_TIMEOUT_S = 10.0
# Tests wait for the indexer, so it polls often; the deadline job runs each second so that a
# test that moves the clock sees its "deadline near" notifications at once.
INDEXER_POLL_INTERVAL_S = 0.2
DEADLINE_JOB_INTERVAL_S = 1.0
MINTED_TOKENS = 10**24
MINTED_ACCOUNTS = 6


def web3_for(rpc_url: str) -> Web3:
    """A client of the chain at `rpc_url` that fails at once instead of retrying (tests
    stop the node on purpose)."""
    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 10}, exception_retry_configuration=None))


@dataclass
class Platform:
    """The contracts of one test, the chain they are on, and their deployments file."""

    w3: Web3
    challenge: Contract
    teams: Contract
    microtask: Contract
    token: Contract
    deployments_file: Path
    rpc_url: str

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def time_travel(self, seconds: int) -> None:
        """Move the chain's clock forward (deadlines) and mine a block."""
        self.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
        self.w3.provider.make_request(RPCEndpoint("evm_mine"), [])

    def snapshot(self) -> str:
        """Snapshot the chain (Ganache's evm_snapshot); the id is for `revert_to`."""
        return str(self.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"])

    def revert_to(self, snapshot_id: str) -> bool:
        """Put the chain back (blocks, balances, nonces, clock) as it was at `snapshot_id`, which
        is then used up; False if the chain does not know it (a restarted Ganache forgets them)."""
        return self.w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot_id]).get("result") is True

    def balance(self, index: int) -> int:
        return int(self.w3.eth.get_balance(dev_account(index).address))


def deploy_test_platform(rpc_url: str, folder: Path) -> Platform:
    """Both escrows (and the teams registry) deployed afresh from dev account 0, a TestToken
    minted to the first dev accounts, and `folder`/deployments.json like the one `make up` writes."""
    w3 = web3_for(rpc_url)
    w3.eth.default_account = w3.eth.accounts[0]
    deployed = deploy_platform(w3)
    token, _ = deploy(w3, "TestToken")
    for account in w3.eth.accounts[:MINTED_ACCOUNTS]:
        w3.eth.wait_for_transaction_receipt(token.functions.mint(account, MINTED_TOKENS).transact())
    file = folder / "deployments.json"
    deployed.write_deployments(w3, file)
    return Platform(w3, deployed.challenge, deployed.teams, deployed.microtask, token, file, rpc_url)


class FreshPlatform:
    """A platform deployed once and handed out as if just deployed: `get()` reverts the chain
    to the snapshot taken right after the deployment (~10 ms, where deploying again takes
    ~1.5 s), so each test starts from the same contracts, balances and clock. It deploys again
    only when the chain has lost the snapshot (it was restarted)."""

    def __init__(self, rpc_url: str, folder: Path) -> None:
        self._rpc_url = rpc_url
        self._folder = folder
        self._platform: Platform | None = None
        self._snapshot: str | None = None

    def get(self) -> Platform:
        platform, snapshot = self._platform, self._snapshot
        if platform is None or snapshot is None or not platform.revert_to(snapshot):
            platform = self._platform = deploy_test_platform(self._rpc_url, self._folder)
        # A snapshot is used up by the revert: take the next one.
        self._snapshot = platform.snapshot()
        return platform


class IndexerFollower:
    """The indexer in a thread, following the chain. With `background_jobs`, it also does the
    rest of what its process (`python -m backend.services.indexer`) does: join the new
    challenges' and batches' metadata from IPFS after each run, and the "deadline near" job
    (every DEADLINE_JOB_INTERVAL_S). `wait_caught_up()` returns once indexing (and the
    metadata join) cover the chain's head."""

    def __init__(
        self, indexer: Indexer, engine: Engine, settings: Settings, w3: Web3, *, background_jobs: bool
    ) -> None:
        self._indexer = indexer
        self._engine = engine
        self._settings = settings
        self._w3 = w3
        self._ipfs = IpfsClient.from_settings(settings)
        self._policy = RetryPolicy(settings.challenge_metadata_retry_initial_s, settings.challenge_metadata_retry_max_s)
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._indexed_block = -1
        self._failure: BaseException | None = None
        self._background_jobs = background_jobs
        self._threads = [threading.Thread(target=self._follow, name="indexer", daemon=True)]
        if background_jobs:
            self._threads.append(
                threading.Thread(
                    target=run_deadline_job,
                    args=(engine, self._stop, settings.notifications_deadline_job_interval_s),
                    kwargs={
                        "window_s": settings.notifications_deadline_window_s,
                        "chain_time": lambda: int(w3.eth.get_block("latest")["timestamp"]),
                    },
                    name="deadline-notifications",
                    daemon=True,
                )
            )

    def _after_run(self, stats: RunStats) -> None:
        if self._background_jobs:
            # The same calls as the indexer process's after-run hook, which is local to its main().
            try:
                resolve_pending_metadata(
                    self._engine, self._ipfs, policy=self._policy, batch=self._settings.challenge_metadata_batch
                )
                load_new_manifests(self._engine, self._ipfs, batch=self._settings.challenge_metadata_batch)
            except OperationalError:  # the database is away (a test took it): the next run retries
                return
        with self._progress:
            self._indexed_block = stats.cursor
            self._progress.notify_all()

    def _follow(self) -> None:
        try:
            self._indexer.run_forever(self._stop, after_run=self._after_run)
        except BaseException as error:
            # Kept for wait_caught_up(), which would otherwise wait out its deadline in silence.
            with self._progress:
                self._failure = error
                self._progress.notify_all()
            raise

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=THREAD_STOP_TIMEOUT_S)
        self._ipfs.close()

    def wait_caught_up(self, timeout_s: float) -> None:
        """Return once every block mined so far is indexed and its metadata joined."""
        block = int(self._w3.eth.block_number)
        with self._progress:
            done = self._progress.wait_for(
                lambda: self._indexed_block >= block or self._failure is not None, timeout=timeout_s
            )
            if self._failure is not None:
                raise AssertionError(f"the indexer stopped: {self._failure!r}") from self._failure
            if not done:
                raise AssertionError(f"block {block} not indexed within {timeout_s} s (at {self._indexed_block})")


@dataclass
class Backend:
    """The backend's API served over HTTP (uvicorn in a thread) on a migrated SQLite
    database, with the indexer that feeds it: run on demand with `index()`, or following the
    chain (see `serve_backend(follow=True)`), when `wait_indexed()` waits for it."""

    url: str
    settings: Settings
    engine: Engine
    indexer: Indexer
    follower: IndexerFollower | None = field(default=None)

    def index(self) -> None:
        """Index what the chain holds now (only when the indexer does not follow it by itself)."""
        assert self.follower is None, "the indexer follows the chain: use wait_indexed()"
        self.indexer.run_once()

    def wait_indexed(self, timeout_s: float = 10.0) -> None:
        """Wait until the following indexer has caught up with the chain's current head."""
        assert self.follower is not None, "the indexer runs on demand: use index()"
        self.follower.wait_caught_up(timeout_s)


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the backend's uvicorn did not start; see the captured log")
        time.sleep(0.02)


@contextmanager
def serve_backend(
    platform: Platform, ipfs_api_url: str, folder: Path, *, follow: bool = False, background_jobs: bool = False
) -> Iterator[Backend]:
    """The backend on `platform`, with its database in `folder`, served on a free local port.

    With `follow`, the indexer follows the chain in a thread; with `background_jobs` too, it
    does all its process does on `make up` (see IndexerFollower). Without, the test runs it
    with `index()`.
    """
    # The socket is bound before the settings are made, because sign-in (SIWE) accepts only
    # messages for the served address; uvicorn then serves on this very socket (no race).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        rpc_url=platform.rpc_url,
        database_url=f"sqlite:///{folder / 'backend.db'}",
        ipfs_api_url=ipfs_api_url,
        deployments_file=platform.deployments_file,
        siwe_domain=f"127.0.0.1:{port}",
        siwe_uri=url,
        indexer_poll_interval_s=INDEXER_POLL_INTERVAL_S,
        notifications_deadline_job_interval_s=DEADLINE_JOB_INTERVAL_S,
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    app = create_app()
    app.state.engine = engine  # the lifespan (which migrates the configured database) is not run
    app.state.stopping = asyncio.Event()  # what the lifespan would set: ends notification streams
    app.dependency_overrides[get_settings] = lambda: settings
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="backend", daemon=True)
    deployments = load_deployments(platform.deployments_file)
    # Its own client, without retries, as the indexer process makes it.
    indexer_w3 = web3_for(settings.rpc_url)
    indexer = Indexer(
        indexer_w3,
        engine,
        contracts_from_deployments(deployments),
        config=config_from_settings(settings),
        projections=PROJECTIONS,
        expected_chain_id=deployments.chain_id,
    )
    follower = (
        IndexerFollower(indexer, engine, settings, indexer_w3, background_jobs=background_jobs) if follow else None
    )
    try:
        thread.start()
        _wait_started(server, thread)
        if follower is not None:
            follower.start()
        yield Backend(url, settings, engine, indexer, follower)
    finally:
        if follower is not None:
            follower.stop()
        server.should_exit = True
        thread.join(timeout=THREAD_STOP_TIMEOUT_S)
        listener.close()
        engine.dispose()
