"""The deployments file written by scripts/deploy.py: addresses, ABIs and blocks of the
contracts on the local chain. The backend and the client read it; nobody types addresses."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from backend.errors import ConfigurationError


class DeployedContract(BaseModel):
    model_config = ConfigDict(frozen=True)  # shared by every reader of one version of the file

    address: str
    block: int
    tx: str
    bytecode_sha1: str
    abi: list[dict[str, Any]]


class Deployments(BaseModel):
    model_config = ConfigDict(frozen=True)  # shared by every reader of one version of the file

    chain_id: int
    genesis_hash: str
    contracts: dict[str, DeployedContract]

    def contract(self, name: str) -> DeployedContract:
        try:
            return self.contracts[name]
        except KeyError:
            raise ConfigurationError(f"{name} is not in the deployments file; run `make up` to deploy it") from None


def load_deployments(path: Path) -> Deployments:
    """Read and validate the deployments file, with a clear error when it is missing.

    Parsed once per version of the file (routes read it on every request, and it holds every
    ABI: 120 KB); a redeployment writes a new file, which is read afresh.
    """
    try:
        version = path.stat()
        return _parsed_deployments(path, version.st_ino, version.st_mtime_ns, version.st_size)
    except FileNotFoundError:
        raise ConfigurationError(f"no deployments file at {path}; run `make up` to deploy the contracts") from None


@lru_cache(maxsize=8)
def _parsed_deployments(path: Path, inode: int, mtime_ns: int, size: int) -> Deployments:
    """The file at `path` as it is in the version that (`inode`, `mtime_ns`, `size`) identify."""
    try:
        return Deployments.model_validate(json.loads(path.read_text()))
    except (ValueError, ValidationError) as error:
        raise ConfigurationError(f"the deployments file {path} is invalid: {error}") from error
