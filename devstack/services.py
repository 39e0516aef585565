"""The services of the local platform: how each starts, where it logs, how it is checked."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devstack.errors import DevstackError, ServiceStartError
from devstack.process import ManagedProcess, ProcessRecord, free_port
from devstack.settings import DEV_CHAIN_ID, DEV_MNEMONIC, PROJECT_ROOT, DevstackSettings
from devstack.toolchain import LOCAL_CHAIN_PORT_VARIABLE, NODE_MODULES, write_atomically

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

HEALTH_REQUEST_TIMEOUT_S = 2.0
IPFS_CLI = NODE_MODULES / "ipfs" / "src" / "cli.js"


@dataclass
class Service:
    """A process of the stack and the check that says it is serving."""

    process: ManagedProcess
    is_healthy: Callable[[], bool]
    port: int | None = None
    port_setting: str = ""
    prepare: Callable[[], None] = lambda: None
    # Started only once the contracts are deployed (it reads the deployments file).
    needs_deployment: bool = False

    @property
    def name(self) -> str:
        return self.process.name


def _managed(
    name: str, argv: list[str], settings: DevstackSettings, env: dict[str, str] | None = None
) -> ManagedProcess:
    return ManagedProcess(
        name=name,
        argv=argv,
        log_file=settings.run_dir / f"{name}.log",
        pid_file=settings.run_dir / f"{name}.pid",
        env=env or {},
        cwd=PROJECT_ROOT,
    )


def json_rpc_answers(url: str) -> bool:
    try:
        reply = httpx.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            timeout=HEALTH_REQUEST_TIMEOUT_S,
        )
        return reply.status_code == 200 and "result" in reply.json()
    except (httpx.HTTPError, ValueError):
        return False


def ipfs_answers(api_url: str) -> bool:
    try:
        return httpx.post(f"{api_url}/api/v0/version", timeout=HEALTH_REQUEST_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        return False


def backend_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=HEALTH_REQUEST_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        return False


def ganache_argv(host: str, port: int, db_path: Path, accounts: int = 10) -> list[str]:
    """Ganache with the dev mnemonic and its chain on disk, so a restart (or a crash) keeps every block."""
    return [
        str(NODE_MODULES / ".bin" / "ganache"),
        "--server.host", host,
        "--server.port", str(port),
        "--wallet.mnemonic", DEV_MNEMONIC,
        "--wallet.totalAccounts", str(accounts),
        "--chain.chainId", str(DEV_CHAIN_ID),
        "--chain.hardfork", "shanghai",
        "--miner.blockGasLimit", "30000000",
        "--database.dbPath", str(db_path),
        "--logging.quiet",
    ]  # fmt: skip


def chain_service(settings: DevstackSettings) -> Service:
    db_path = settings.data_dir / "chain"
    return Service(
        process=_managed(
            "chain", ganache_argv(settings.host, settings.chain_port, db_path, settings.accounts), settings
        ),
        port=settings.chain_port,
        port_setting="CROWDBOUNTY_DEV_CHAIN_PORT",
        is_healthy=lambda: json_rpc_answers(settings.chain_url),
        prepare=lambda: db_path.mkdir(parents=True, exist_ok=True),
    )


def ipfs_repo_config(api_port: int, gateway_port: int, host: str = "127.0.0.1") -> dict[str, object]:
    """A private node: no swarm listeners (with any, js-ipfs hangs and the API never
    answers), no bootstrap peers, no discovery, no routing."""
    return {
        "Addresses": {
            "Swarm": [],
            "API": f"/ip4/{host}/tcp/{api_port}",
            "Gateway": f"/ip4/{host}/tcp/{gateway_port}",
            "RPC": "",
            "Delegates": [],
        },
        "Bootstrap": [],
        "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
        "Routing": {"Type": "none"},
    }


def prepare_ipfs_repo(repo: Path, api_port: int, gateway_port: int, host: str = "127.0.0.1") -> None:
    """Create the repo on first use; on later starts set its ports and clear the lock a
    killed daemon left behind (with it, js-ipfs prints "Lock already being held" and exits 0).

    Call only while no daemon of ours uses `repo`.
    """
    wanted = ipfs_repo_config(api_port, gateway_port, host)
    config_file = repo / "config"
    if not config_file.exists():
        repo.mkdir(parents=True, exist_ok=True)
        defaults = repo.parent / f".{repo.name}-init.json"
        write_atomically(defaults, json.dumps(wanted))
        result = subprocess.run(
            ["node", str(IPFS_CLI), "init", "--emptyRepo", "--defaultConfig", str(defaults)],
            env={**os.environ, "IPFS_PATH": str(repo)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0 or not config_file.exists():
            shutil.rmtree(repo, ignore_errors=True)  # a half-made repo would fail every later start
            raise ServiceStartError(
                f"IPFS repo init failed in {repo}: {result.stderr.strip() or result.stdout.strip()}"
            )
        defaults.unlink()
    config = json.loads(config_file.read_text())
    if {key: config.get(key) for key in wanted} != wanted:
        config.update(wanted)
        write_atomically(config_file, json.dumps(config, indent=2))
    for stale in ("repo.lock", "api"):
        path = repo / stale
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)


def ipfs_process(repo: Path, api_port: int, gateway_port: int, run_dir: Path, name: str = "ipfs") -> ManagedProcess:
    """The js-ipfs daemon, run with node directly (killing `npx` would orphan it)."""
    return ManagedProcess(
        name=name,
        argv=["node", str(IPFS_CLI), "daemon", "--enable-preload=false"],
        log_file=run_dir / f"{name}.log",
        pid_file=run_dir / f"{name}.pid",
        env={"IPFS_PATH": str(repo)},
        cwd=PROJECT_ROOT,
    )


def ipfs_service(settings: DevstackSettings) -> Service:
    repo = settings.data_dir / "ipfs"
    return Service(
        process=ipfs_process(repo, settings.ipfs_api_port, settings.ipfs_gateway_port, settings.run_dir),
        port=settings.ipfs_api_port,
        port_setting="CROWDBOUNTY_DEV_IPFS_API_PORT",
        is_healthy=lambda: ipfs_answers(settings.ipfs_api_url),
        prepare=lambda: prepare_ipfs_repo(repo, settings.ipfs_api_port, settings.ipfs_gateway_port, settings.host),
    )


def backend_environment(settings: DevstackSettings) -> dict[str, str]:
    """How the stack's backend (and any client of this stack) is configured."""
    return {
        "CROWDBOUNTY_RPC_URL": settings.chain_url,
        "CROWDBOUNTY_IPFS_API_URL": settings.ipfs_api_url,
        "CROWDBOUNTY_DEPLOYMENTS_FILE": str(settings.deployments_file),
        "CROWDBOUNTY_DATABASE_URL": f"sqlite:///{settings.database_file}",
        "CROWDBOUNTY_UPLOAD_QUEUE_DIR": str(settings.data_dir / "upload-queue"),
        # Sign-in messages name the address the web app is served at (EIP-4361 domain binding).
        "CROWDBOUNTY_SIWE_DOMAIN": f"{settings.host}:{settings.backend_port}",
        "CROWDBOUNTY_SIWE_URI": settings.backend_url,
    }


def backend_argv(host: str, port: int, workers: int, app: str = "backend.main:app") -> list[str]:
    """The backend as it is served: `workers` uvicorn processes, no reload, no access log."""
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--no-access-log",
    ]  # fmt: skip


def backend_service(settings: DevstackSettings) -> Service:
    argv = backend_argv(settings.host, settings.backend_port, settings.backend_workers)
    return Service(
        process=_managed("backend", argv, settings, backend_environment(settings)),
        port=settings.backend_port,
        port_setting="CROWDBOUNTY_DEV_BACKEND_PORT",
        # /health is green only when chain, contracts, IPFS, database and indexer all are.
        is_healthy=lambda: backend_answers(settings.backend_url),
        needs_deployment=True,
    )


def indexer_service(settings: DevstackSettings) -> Service:
    argv = [sys.executable, "-m", "backend.services.indexer"]
    return Service(
        process=_managed("indexer", argv, settings, backend_environment(settings)),
        # It serves no port; its progress shows in the backend's /health, which waits for it.
        is_healthy=lambda: True,
        needs_deployment=True,
    )


def deploy_command(settings: DevstackSettings) -> tuple[list[str], dict[str, str]]:
    """The one-shot deployment step, run after the chain is healthy."""
    brownie = str(Path(sys.executable).with_name("brownie"))
    env = {
        LOCAL_CHAIN_PORT_VARIABLE: str(settings.chain_port),
        "CROWDBOUNTY_DEV_DATA_DIR": str(settings.data_dir),
    }
    return [brownie, "run", "scripts/deploy.py", "--network", "crowdbounty-local"], env


def stack_services(settings: DevstackSettings) -> list[Service]:
    """In start order; stopped in reverse."""
    return [chain_service(settings), ipfs_service(settings), indexer_service(settings), backend_service(settings)]


def running_record(service: Service) -> ProcessRecord | None:
    record = service.process.record
    return record if record is not None and record.is_alive() else None


class LocalIpfsNode:
    """A private js-ipfs node in `root` on free ports, for tests and benchmarks.

    `stop()` and `start()` keep the repo, so content and pins survive a restart.
    """

    def __init__(self, root: Path, start_timeout_s: float = 60.0) -> None:
        self.repo = root / "ipfs"
        self.api_port = free_port()
        self.gateway_port = free_port()
        self.start_timeout_s = start_timeout_s
        self.process = ipfs_process(self.repo, self.api_port, self.gateway_port, root / "run")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> None:
        prepare_ipfs_repo(self.repo, self.api_port, self.gateway_port)
        self.process.start()
        self.process.wait_healthy(lambda: ipfs_answers(self.api_url), self.start_timeout_s)

    def stop(self) -> None:
        self.process.stop(timeout_s=10)

    def __enter__(self) -> "LocalIpfsNode":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class LocalChain:
    """A private Ganache in `root` on a free port, for tests and benchmarks.

    `stop()` and `start()` keep the chain (it lives on disk), so a test can take the RPC
    node away and bring it back.
    """

    def __init__(self, root: Path, start_timeout_s: float = 60.0) -> None:
        self.db_path = root / "chain"
        self.port = free_port()
        self.start_timeout_s = start_timeout_s
        self.process = ManagedProcess(
            name="chain",
            argv=ganache_argv("127.0.0.1", self.port, self.db_path),
            log_file=root / "run" / "chain.log",
            pid_file=root / "run" / "chain.pid",
            cwd=PROJECT_ROOT,
        )

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.db_path.mkdir(parents=True, exist_ok=True)
        self.process.start()
        self.process.wait_healthy(lambda: json_rpc_answers(self.rpc_url), self.start_timeout_s)

    def stop(self) -> None:
        self.process.stop(timeout_s=10)

    def __enter__(self) -> "LocalChain":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class LocalPostgres:
    """A real PostgreSQL (PyPI `pgserver`) in a fresh /tmp folder, for tests and benchmarks.

    pgserver opens every parent folder of its data directory to everyone when run as root,
    so the data lives under /tmp, never under the project or /root.
    """

    def __init__(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="crowdbounty-pg-", dir="/tmp"))
        self._server: PostgresServer | None = None

    def start(self) -> None:
        runtime_dir = self._root / "xdg"
        runtime_dir.mkdir(mode=0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))  # silences a pgserver warning
        from pgserver.postgres_server import get_server  # noqa: PLC0415 - heavy; only tests and benchmarks need it

        self._server = get_server(self._root / "data", cleanup_mode="delete")

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server's `postgres` database."""
        if self._server is None:
            raise DevstackError("LocalPostgres is not started")
        url = make_url(self._server.get_uri()).set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> "LocalPostgres":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class LocalBackend:
    """The real backend (uvicorn, `backend_argv`) on a free port with the given `CROWDBOUNTY_*`
    environment, for tests and benchmarks; ready once /openapi.json answers."""

    def __init__(self, root: Path, env: dict[str, str], app: str = "backend.main:app", start_timeout_s: float = 60.0):
        self.port = free_port()
        self.start_timeout_s = start_timeout_s
        self.process = ManagedProcess(
            name="backend",
            argv=backend_argv("127.0.0.1", self.port, DevstackSettings().backend_workers, app),
            log_file=root / "run" / "backend.log",
            pid_file=root / "run" / "backend.pid",
            env=env,
            cwd=PROJECT_ROOT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/openapi.json", timeout=HEALTH_REQUEST_TIMEOUT_S).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self) -> None:
        self.process.start()
        self.process.wait_healthy(self._answers, self.start_timeout_s)

    def stop(self) -> None:
        self.process.stop(timeout_s=10)

    def __enter__(self) -> "LocalBackend":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
