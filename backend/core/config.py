"""All backend settings in one place, read from `CROWDBOUNTY_*` environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / ".data"


class Settings(BaseSettings):
    """Backend and client settings; defaults fit the `make up` stack on this machine."""

    model_config = SettingsConfigDict(env_prefix="CROWDBOUNTY_", frozen=True)

    rpc_url: str = "http://127.0.0.1:8545"
    rpc_timeout_s: float = Field(default=10.0, gt=0)
    deployments_file: Path = DATA_DIR / "deployments.json"
    database_url: str = f"sqlite:///{DATA_DIR / 'backend.db'}"

    ipfs_api_url: str = "http://127.0.0.1:5001"
    # Client-side limit of one IPFS HTTP call; the node is given a shorter one of its own
    # so that a missing CID fails on the node first, with a clear error.
    ipfs_timeout_s: float = Field(default=30.0, gt=0)
    ipfs_fetch_timeout_s: float = Field(default=10.0, gt=0)
    ipfs_max_object_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    upload_queue_dir: Path = DATA_DIR / "upload-queue"

    health_timeout_s: float = Field(default=2.0, gt=0)

    # Threads of one API process that run its blocking routes (database reads). The engine
    # keeps a connection per thread: with fewer, requests queued for one and overflow
    # connections were opened and closed per request (a new server process on PostgreSQL).
    api_threads: int = Field(default=16, ge=1)

    # The indexer (`python -m backend.services.indexer`).
    indexer_stream: str = Field(default="main", min_length=1, max_length=64)
    # Contracts of the deployments file to follow; all of them when unset (a JSON list).
    indexer_contracts: list[str] | None = None
    # Blocks behind the head that are not indexed yet; 0 suits the local chain, which never reorgs by itself.
    indexer_confirmations: int = Field(default=0, ge=0)
    indexer_initial_block_range: int = Field(default=100, ge=1)
    indexer_max_block_range: int = Field(default=2000, ge=1)
    indexer_poll_interval_s: float = Field(default=1.0, gt=0)
    indexer_backoff_max_s: float = Field(default=30.0, gt=0)

    # The metadata join, run by the indexer process after each indexing run: challenges (and new
    # task batches, whose manifests are loaded then) resolved per run (each may wait up to
    # ipfs_fetch_timeout_s for a missing CID), and the backoff between fetches of challenge
    # metadata IPFS did not have.
    challenge_metadata_batch: int = Field(default=5, ge=1)
    challenge_metadata_retry_initial_s: float = Field(default=30.0, gt=0)
    challenge_metadata_retry_max_s: float = Field(default=3600.0, gt=0)

    # Sign-In with Ethereum (EIP-4361): a message is accepted only for this domain and URI,
    # on the chain id of the deployments file.
    siwe_domain: str = Field(default="localhost:8000", min_length=1)
    siwe_uri: str = Field(default="http://localhost:8000", min_length=1)
    siwe_nonce_ttl_s: int = Field(default=300, ge=1)
    # Tolerated difference between the signer's clock and ours (issued-at, not-before).
    siwe_clock_skew_s: int = Field(default=60, ge=0)
    session_ttl_s: int = Field(default=24 * 3600, ge=60)
    session_cookie_name: str = Field(default="crowdbounty_session", min_length=1)
    # True behind HTTPS; the local stack serves plain HTTP.
    session_cookie_secure: bool = False

    # Rate limits: requests per fixed window, per client IP and per signed-in address.
    rate_limit_window_s: int = Field(default=60, ge=1)
    rate_limit_auth_per_ip: int = Field(default=20, ge=1)
    rate_limit_write_per_ip: int = Field(default=120, ge=1)
    rate_limit_write_per_address: int = Field(default=60, ge=1)

    # Notifications: "deadline near" ahead of a deadline; the SSE stream polls the database.
    notifications_deadline_window_s: int = Field(default=24 * 3600, ge=1)
    notifications_deadline_job_interval_s: float = Field(default=60.0, gt=0)
    notifications_stream_poll_s: float = Field(default=1.0, gt=0)
    notifications_stream_heartbeat_s: float = Field(default=15.0, gt=0)
    # A stream ends after this long; EventSource reconnects with Last-Event-ID, so nothing is lost.
    notifications_stream_max_s: float = Field(default=600.0, gt=0)

    # Profiles (aggregates of an address's whole history) are computed at most once per this
    # many seconds per address and process; 0 computes every request.
    profile_cache_ttl_s: float = Field(default=2.0, ge=0)

    # Project rooms: confidential challenge documents, stored in the database.
    room_max_document_bytes: int = Field(default=10 * 1024 * 1024, ge=1)

    # The web dApp: its files, the npm packages it imports (installed by `make setup`), and
    # the largest object a signed-in browser may add to IPFS through the backend.
    web_dir: Path = PROJECT_ROOT / "client" / "web"
    node_modules_dir: Path = PROJECT_ROOT / "node_modules"
    web_upload_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
