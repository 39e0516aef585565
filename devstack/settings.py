"""Every setting of the local stack, in one place (environment prefix `CROWDBOUNTY_DEV_`)."""

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The well-known development mnemonic of Hardhat and Anvil: public, never for real funds.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_CHAIN_ID = 1337
SOLC_VERSION = "0.8.24"
LOCAL_NETWORK_ID = "crowdbounty-local"
TEST_NETWORK_ID = "development"


class DevstackSettings(BaseSettings):
    """Where the local platform lives and listens; override with CROWDBOUNTY_DEV_* variables."""

    model_config = SettingsConfigDict(env_prefix="CROWDBOUNTY_DEV_", frozen=True)

    data_dir: Path = PROJECT_ROOT / ".data"
    host: str = "127.0.0.1"
    chain_port: int = Field(default=8545, ge=1, le=65535)
    ipfs_api_port: int = Field(default=5001, ge=1, le=65535)
    ipfs_gateway_port: int = Field(default=8081, ge=1, le=65535)
    backend_port: int = Field(default=8000, ge=1, le=65535)
    # uvicorn worker processes of the backend (`make up`, tests and benchmarks alike). One meets
    # the API benchmark on 2 cores (its reads run on the event loop) and leaves a core to the
    # chain and the indexer; more work too (each dies with the master, backend/core/process.py).
    backend_workers: int = Field(default=1, ge=1)
    accounts: int = Field(default=10, ge=1, le=100)
    start_timeout_s: float = Field(default=60.0, gt=0)
    stop_timeout_s: float = Field(default=10.0, gt=0)
    max_restarts: int = Field(default=3, ge=0)

    @cached_property
    def run_dir(self) -> Path:
        """PID files and logs of the processes the supervisor started."""
        return self.data_dir / "run"

    @cached_property
    def deployments_file(self) -> Path:
        """The one file that records the deployed contracts, read by backend and client."""
        return self.data_dir / "deployments.json"

    @cached_property
    def database_file(self) -> Path:
        """The backend's SQLite database: the index of the deployment in `deployments_file`."""
        return self.data_dir / "backend.db"

    @property
    def chain_url(self) -> str:
        return f"http://{self.host}:{self.chain_port}"

    @property
    def ipfs_api_url(self) -> str:
        return f"http://{self.host}:{self.ipfs_api_port}"

    @property
    def backend_url(self) -> str:
        return f"http://{self.host}:{self.backend_port}"
