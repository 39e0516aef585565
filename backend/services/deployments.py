"""The deployments file written by scripts/deploy.py: addresses, ABIs and blocks of the
contracts on the local chain. The backend and the client read it; nobody types addresses."""

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from backend.errors import ConfigurationError


class DeployedContract(BaseModel):
    address: str
    block: int
    tx: str
    bytecode_sha1: str
    abi: list[dict[str, Any]]


class Deployments(BaseModel):
    chain_id: int
    genesis_hash: str
    contracts: dict[str, DeployedContract]

    def contract(self, name: str) -> DeployedContract:
        try:
            return self.contracts[name]
        except KeyError:
            raise ConfigurationError(f"{name} is not in the deployments file; run `make up` to deploy it") from None


def load_deployments(path: Path) -> Deployments:
    """Read and validate the deployments file, with a clear error when it is missing."""
    try:
        return Deployments.model_validate(json.loads(path.read_text()))
    except FileNotFoundError:
        raise ConfigurationError(f"no deployments file at {path}; run `make up` to deploy the contracts") from None
    except (ValueError, ValidationError) as error:
        raise ConfigurationError(f"the deployments file {path} is invalid: {error}") from error
