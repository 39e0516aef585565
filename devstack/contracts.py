"""Compiled contracts (build/contracts, compiled by Brownie on first use) and plain web3
deployment, for tests and benchmarks that run their own chain."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from devstack.settings import PROJECT_ROOT
from devstack.toolchain import write_atomically

ARTIFACTS_DIR = PROJECT_ROOT / "build" / "contracts"


def _compile_once() -> None:
    # IndexerProbe (contracts/test) stands for the whole build: Brownie compiles all or nothing.
    if not (ARTIFACTS_DIR / "IndexerProbe.json").exists():
        brownie = Path(sys.executable).with_name("brownie")
        subprocess.run([str(brownie), "compile"], cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=300)


def load_artifact(name: str) -> dict[str, Any]:
    """A contract's ABI and bytecode from build/contracts, compiled by Brownie on first use (~4 s)."""
    _compile_once()
    artifact: dict[str, Any] = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
    return artifact


def deploy(w3: Web3, name: str, *args: Any) -> tuple[Contract, int]:
    """Deploy `name` from the default account; returns the contract and its deployment block."""
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact())
    return attach(w3, name, str(receipt["contractAddress"])), int(receipt["blockNumber"])


def attach(w3: Web3, name: str, address: str) -> Contract:
    """A deployed contract of type `name` at `address` (e.g. the teams registry an escrow created)."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name)["abi"])


@dataclass
class Platform:
    """Crowdbounty's contracts as `scripts/deploy.py` deploys them: both escrows, and the
    teams registry the challenge escrow creates."""

    challenge: Contract
    teams: Contract
    microtask: Contract
    block: int

    def by_name(self) -> dict[str, Contract]:
        """The contracts under their names in the deployments file (what the indexer follows)."""
        return {"ChallengeEscrow": self.challenge, "ChallengeTeams": self.teams, "MicrotaskEscrow": self.microtask}

    def write_deployments(self, w3: Web3, file: Path) -> None:
        """Record the contracts in a deployments file, as `scripts/deploy.py` does for `make up`."""
        contracts = {
            name: {
                "address": contract.address,
                "block": self.block,
                "tx": "",
                "bytecode_sha1": load_artifact(name)["bytecodeSha1"],
                "abi": contract.abi,
            }
            for name, contract in self.by_name().items()
        }
        identity = {"chain_id": w3.eth.chain_id, "genesis_hash": w3.eth.get_block(0)["hash"].hex()}
        write_atomically(file, json.dumps({**identity, "contracts": contracts}, indent=2))


def deploy_platform(w3: Web3) -> Platform:
    """Deploy both escrows afresh from the default account."""
    challenge, block = deploy(w3, "ChallengeEscrow")
    microtask, _ = deploy(w3, "MicrotaskEscrow")
    teams = attach(w3, "ChallengeTeams", challenge.functions.teams().call())
    return Platform(challenge, teams, microtask, block)
