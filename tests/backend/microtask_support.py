"""What the micro-task API tests share: a funded batch with its manifest on the real IPFS
node, the indexer with the real projections, the API app, and the dev accounts' keys."""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web3 import Web3

from backend.core.config import Settings, get_settings
from backend.main import create_app
from backend.services.indexer import PROJECTIONS, Indexer
from backend.services.microtasks.manifest import build_manifest, manifest_bytes
from backend.services.microtasks.typed_data import (
    claim_message,
    result_message,
    review_message,
    voucher_message,
)
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import TaskBatchMetadata, publish_metadata
from devstack.services import LocalIpfsNode

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"
KEYS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key for i in range(8)]
ADDRESSES = [Account.from_key(key).address for key in KEYS]
REQUESTER, WORKER1, WORKER2, WORKER3, ARBITER, STRANGER = range(6)
ETH = "0x0000000000000000000000000000000000000000"
REWARD = 10**15
TASK_COUNT = 4
BONUS_POOL = 2 * 10**15
ASSIGNMENT_DURATION = 4  # seconds: the test waits one out; whole seconds, so at least 3 s of validity


@dataclass
class Market:
    """One test's escrow, database, IPFS node and API, with helpers that sign like clients do."""

    w3: Web3
    engine: Engine
    escrow: Any
    ipfs: IpfsClient
    client: TestClient
    indexer: Indexer
    batch_ids: list[int] = field(default_factory=list)

    @property
    def chain_id(self) -> int:
        return 1337

    @property
    def address(self) -> str:
        return str(self.escrow.address)

    def chain_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def fund(self, task_inputs: list[Any] | None = None, **terms: Any) -> int:
        """Publish metadata and manifest on IPFS, fund the batch on chain from the requester."""
        inputs = task_inputs or [{"image": f"cat-{i}.png", "question": "Is it a cat?"} for i in range(TASK_COUNT)]
        metadata = TaskBatchMetadata(
            title="Label cats",
            instructions="Say whether the picture shows a cat.",
            reward_display="0.001 ETH",
            task_schema={"type": "object"},
            task_count=len(inputs),
            deadline=self.chain_time() + 30 * 86400,
        )
        metadata_cid, metadata_hash = publish_metadata(self.ipfs, metadata)
        manifest = build_manifest(str(metadata_cid), metadata_hash, inputs)
        manifest_cid = str(self.ipfs.add_bytes(manifest_bytes(manifest), name="manifest.json").cid)
        params: dict[str, Any] = {
            "token": ETH,
            "reward": REWARD,
            "taskCount": len(inputs),
            "bonusPool": BONUS_POOL,
            "taskRoot": bytes.fromhex(manifest.task_root[2:]),
            "assignmentDuration": ASSIGNMENT_DURATION,
            "reviewWindow": 3600,
            "expiry": self.chain_time() + 30 * 86400,
            "qualificationKind": 0,
            "qualification": b"\x00" * 32,
            "arbiter": ADDRESSES[ARBITER],
            "manifestCid": manifest_cid,
        }
        params.update(terms)
        value = params["reward"] * params["taskCount"] + params["bonusPool"]
        tx = self.escrow.functions.fundBatch(tuple(params.values())).transact(
            {"from": ADDRESSES[REQUESTER], "value": value}
        )
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        (event,) = self.escrow.events.BatchFunded().process_receipt(receipt)
        batch_id = int(event["args"]["batchId"])
        self.batch_ids.append(batch_id)
        return batch_id

    def index(self) -> None:
        self.indexer.run_once()

    def transact(self, function: Any, sender: int, value: int = 0) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(
            function.transact({"from": ADDRESSES[sender], "value": value})
        )
        assert receipt["status"] == 1
        return receipt

    def rpc(self, method: str, *params: Any) -> Any:
        response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in response, response
        return response["result"]

    def sleep_chain(self, seconds: int) -> None:
        self.rpc("evm_increaseTime", seconds)
        self.rpc("evm_mine")

    # ---- signed messages as clients build them

    def domain_fields(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "verifying_contract": self.address}

    def claim(
        self,
        batch_id: int,
        task_index: int,
        worker: int,
        *,
        signer: int | None = None,
        deadline: int | None = None,
        **over: Any,
    ) -> dict[str, Any]:
        deadline = deadline if deadline is not None else int(time.time()) + 600
        message = claim_message(
            over.pop("sign_chain_id", self.chain_id),
            over.pop("sign_contract", self.address),
            batch_id=batch_id,
            task_index=task_index,
            worker=ADDRESSES[worker],
            deadline=deadline,
        )
        signature = message.sign(KEYS[worker if signer is None else signer])
        body = {"task_index": task_index, "worker": ADDRESSES[worker], "deadline": deadline, **self.domain_fields()}
        return {**body, "signature": "0x" + signature.hex(), **over}

    def result(self, batch_id: int, task_index: int, worker: int, answer: str = "yes") -> dict[str, Any]:
        deadline = int(time.time()) + 600
        result_hash = "0x" + keccak(text=f"{task_index}:{answer}").hex()
        result_cid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
        message = result_message(
            self.chain_id,
            self.address,
            batch_id=batch_id,
            task_index=task_index,
            worker=ADDRESSES[worker],
            result_hash=result_hash,
            result_cid=result_cid,
            deadline=deadline,
        )
        return {
            "task_index": task_index,
            "worker": ADDRESSES[worker],
            "result_hash": result_hash,
            "result_cid": result_cid,
            "deadline": deadline,
            "signature": "0x" + message.sign(KEYS[worker]).hex(),
            **self.domain_fields(),
        }

    def review(
        self,
        batch_id: int,
        task_index: int,
        worker: int,
        *,
        approved: bool,
        bonus: int = 0,
        reason: str = "",
        signer: int = REQUESTER,
    ) -> dict[str, Any]:
        deadline = int(time.time()) + 600
        reason_hash = "0x" + (keccak(text=reason).hex() if reason else "0" * 64)
        message = review_message(
            self.chain_id,
            self.address,
            batch_id=batch_id,
            task_index=task_index,
            worker=ADDRESSES[worker],
            approved=approved,
            reason_hash=reason_hash,
            bonus=bonus,
            deadline=deadline,
        )
        return {
            "task_index": task_index,
            "worker": ADDRESSES[worker],
            "approved": approved,
            "reason_hash": reason_hash,
            "bonus": str(bonus),
            "deadline": deadline,
            "signature": "0x" + message.sign(KEYS[signer]).hex(),
            **self.domain_fields(),
        }

    def voucher_signature(self, batch_id: int, worker: int, amount: int, signer: int = REQUESTER) -> bytes:
        message = voucher_message(
            self.chain_id, self.address, batch_id=batch_id, worker=ADDRESSES[worker], cumulative_amount=amount
        )
        return message.sign(KEYS[signer])

    def voucher(self, batch_id: int, worker: int, amount: int, signer: int = REQUESTER) -> dict[str, Any]:
        signature = self.voucher_signature(batch_id, worker, amount, signer)
        return {
            "worker": ADDRESSES[worker],
            "cumulative_amount": str(amount),
            "signature": "0x" + signature.hex(),
            **self.domain_fields(),
        }


@pytest.fixture
def market(
    w3: Web3, engine: Engine, escrows: Any, running_ipfs_node: LocalIpfsNode, tmp_path: Path
) -> Iterator[Market]:
    deployments = tmp_path / "deployments.json"
    contract = {
        "address": escrows.microtask.address,
        "block": escrows.block,
        "tx": "0x",
        "bytecode_sha1": "",
        "abi": [],
    }
    deployments.write_text(
        json.dumps({"chain_id": 1337, "genesis_hash": "0x", "contracts": {"MicrotaskEscrow": contract}})
    )
    settings = Settings(ipfs_api_url=running_ipfs_node.api_url, deployments_file=deployments)
    app = create_app()
    app.state.engine = engine  # the lifespan (which migrates the configured database) is not run
    app.dependency_overrides[get_settings] = lambda: settings
    indexer = Indexer(w3, engine, escrows.followed(), projections=PROJECTIONS, expected_chain_id=1337)
    with IpfsClient(running_ipfs_node.api_url) as ipfs:
        yield Market(w3, engine, escrows.microtask, ipfs, TestClient(app), indexer)
