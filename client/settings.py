"""The client's own settings (`CROWDBOUNTY_*`, like the backend's `Settings`, which it reads
too for the chain, IPFS and the deployments file)."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.core.config import DATA_DIR


class ClientSettings(BaseSettings):
    """What only the CLI needs: where wallets live, the backend's URL, waiting limits."""

    model_config = SettingsConfigDict(env_prefix="CROWDBOUNTY_", frozen=True, extra="ignore")

    wallet_dir: Path = DATA_DIR / "wallets"
    backend_url: str = "http://127.0.0.1:8000"
    backend_timeout_s: float = Field(default=15.0, gt=0)
    # For scripts: the password of every keystore used (otherwise asked for at the prompt).
    wallet_password: SecretStr | None = None
    tx_timeout_s: float = Field(default=120.0, gt=0)
