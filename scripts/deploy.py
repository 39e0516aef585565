"""Deploy Crowdbounty's contracts to the `make up` chain, once: a second run reuses them.

Run by the supervisor as `brownie run scripts/deploy.py --network crowdbounty-local`.
Addresses, ABIs and deployment blocks go to one deployments file that the backend and
the client read. A recorded contract is reused when the chain is the same (chain id and
genesis hash), its code is there, and its compiled bytecode has not changed since.
"""

import json
from pathlib import Path
from typing import Any

from brownie import Contract, accounts, project, web3

from devstack.settings import DevstackSettings
from devstack.toolchain import write_atomically

# Both escrows take no constructor arguments: every parameter is per challenge or batch.
DEPLOYED_CONTRACTS = ("ChallengeEscrow", "MicrotaskEscrow")
# Contracts a deployed contract creates itself: (name, creator, getter of its address).
CREATED_CONTRACTS = (("ChallengeTeams", "ChallengeEscrow", "teams"),)


def _chain_identity() -> dict[str, Any]:
    return {"chain_id": web3.eth.chain_id, "genesis_hash": web3.eth.get_block(0)["hash"].hex()}


def _load_recorded(file: Path, identity: dict[str, Any]) -> dict[str, Any]:
    if not file.exists():
        return {}
    recorded = json.loads(file.read_text())
    if {k: recorded.get(k) for k in identity} != identity:
        print(f"{file} describes another chain; deploying afresh")
        return {}
    contracts: dict[str, Any] = recorded.get("contracts", {})
    return contracts


def _is_current(entry: dict[str, Any] | None, artifact_sha1: str) -> bool:
    if entry is None or entry.get("bytecode_sha1") != artifact_sha1:
        return False
    return len(web3.eth.get_code(entry["address"])) > 0


def main() -> None:
    settings = DevstackSettings()
    file = settings.deployments_file
    identity = _chain_identity()
    recorded = _load_recorded(file, identity)
    crowdbounty = project.get_loaded_projects()[0]
    deployer = accounts[0]
    contracts: dict[str, Any] = {}
    for name in DEPLOYED_CONTRACTS:
        container = crowdbounty[name]
        build = container._build
        if _is_current(recorded.get(name), build["bytecodeSha1"]):
            contracts[name] = recorded[name]
            print(f"{name}: reusing {recorded[name]['address']}")
            continue
        instance = container.deploy({"from": deployer})
        tx = instance.tx
        contracts[name] = {
            "address": instance.address,
            "block": tx.block_number,
            "tx": tx.txid,
            "bytecode_sha1": build["bytecodeSha1"],
            "abi": build["abi"],
        }
        print(f"{name}: deployed at {instance.address} (block {tx.block_number}, gas {tx.gas_used})")
    for name, creator, getter in CREATED_CONTRACTS:
        build = crowdbounty[name]._build
        # from_abi: the deployments file is the record, whatever Brownie's build folder holds.
        creator_contract = Contract.from_abi(creator, contracts[creator]["address"], contracts[creator]["abi"])
        address = getattr(creator_contract, getter)()
        contracts[name] = {
            **contracts[creator],
            "address": address,
            "abi": build["abi"],
            "bytecode_sha1": build["bytecodeSha1"],
        }
        print(f"{name}: at {address} (created by {creator})")
    write_atomically(file, json.dumps({**identity, "contracts": contracts}, indent=2) + "\n")
    print(f"Deployments recorded in {file}")
