"""The API against its own OpenAPI document: schemathesis (from the tools venv, .venv-tools)
fuzzes every documented operation of the real backend (uvicorn subprocess) on a migrated,
indexed database of each kind, with every check it has; no failure is allowed, 5xx least of all.
"""

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from web3 import Web3

from backend.services.deployments import load_deployments
from backend.services.indexer import PROJECTIONS, Indexer, IndexerConfig, contracts_from_deployments
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import ChallengeMetadata, publish_metadata
from devstack.services import LocalBackend, LocalChain, LocalIpfsNode
from devstack.toolchain import TOOLS_VENV

SCHEMATHESIS = TOOLS_VENV / "bin" / "schemathesis"
CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")
DAY = 86_400
# A fixed seed and one worker keep runs repeatable; MAX_EXAMPLES bounds each operation, and
# MAX_TIME_S the whole run (schemathesis fuzzes on until it is spent), whatever the API's size.
MAX_EXAMPLES = 25
MAX_TIME_S = 45
SEED = 20_260_101
RUN_TIMEOUT_S = 150


def _create_challenge(w3: Web3, escrows: Any, ipfs: IpfsClient) -> None:
    """One real ETH challenge with its metadata on IPFS, so detail paths have something to show."""
    now = int(w3.eth.get_block("latest")["timestamp"])
    metadata = ChallengeMetadata(
        title="Cheaper water filter",
        description="A filter for **rural** wells.",
        challenge_type="ideation",
        prize_display="1 ETH",
        submission_deadline=now + 30 * DAY,
        review_deadline=now + 60 * DAY,
        agreement_cid=None,
        tags=["water"],
    )
    cid, digest = publish_metadata(ipfs, metadata)
    zero = "0x" + "00" * 20
    terms = (0, zero, [10**18], now + 30 * DAY, now + 60 * DAY, Web3.keccak(text="agreement"), bytes(cid), digest,
             Web3.keccak(text="seeker key"), zero, 0, b"\x00" * 32)  # fmt: skip
    tx = escrows.challenge.functions.createChallenge(terms).transact({"from": w3.eth.accounts[1], "value": 10**18})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


@pytest.fixture
def served_backend(
    engine: Engine,
    database_url: str,
    escrows: Any,
    running_chain: LocalChain,
    running_ipfs_node: LocalIpfsNode,
    tmp_path: Path,
) -> Iterator[LocalBackend]:
    """The backend on an indexed database: the platform contracts, one challenge."""
    w3 = escrows.w3
    deployments_file = tmp_path / "deployments.json"
    escrows.write_deployments(w3, deployments_file)
    _create_challenge(w3, escrows, IpfsClient(running_ipfs_node.api_url))
    deployments = load_deployments(deployments_file)
    indexer = Indexer(
        w3,
        engine,
        contracts_from_deployments(deployments),
        config=IndexerConfig(max_block_range=2000),
        projections=PROJECTIONS,
        expected_chain_id=1337,
    )
    while not indexer.run_once().caught_up:
        pass
    env = {
        "CROWDBOUNTY_RPC_URL": running_chain.rpc_url,
        "CROWDBOUNTY_IPFS_API_URL": running_ipfs_node.api_url,
        "CROWDBOUNTY_DEPLOYMENTS_FILE": str(deployments_file),
        "CROWDBOUNTY_DATABASE_URL": database_url,
        "CROWDBOUNTY_UPLOAD_QUEUE_DIR": str(tmp_path / "upload-queue"),
    }
    with LocalBackend(tmp_path, env) as backend:
        yield backend


def _never_ending_paths(document: dict[str, Any]) -> list[str]:
    """Paths answered by a stream (server-sent events): a request to one never completes."""
    return [
        path
        for path, operations in document.get("paths", {}).items()
        if any(
            "text/event-stream" in response.get("content", {})
            for operation in operations.values()
            if isinstance(operation, dict)
            for response in operation.get("responses", {}).values()
        )
    ]


def test_every_documented_operation_conforms_to_the_openapi_document(
    served_backend: LocalBackend, tmp_path: Path
) -> None:
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: run `make setup`"
    document = httpx.get(f"{served_backend.url}/openapi.json").json()
    excluded = [argument for path in _never_ending_paths(document) for argument in ("--exclude-path", path)]
    argv = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG_FILE), "run", f"{served_backend.url}/openapi.json",
        "--checks", "all",
        "--max-examples", str(MAX_EXAMPLES),
        "--max-time", str(MAX_TIME_S),
        "--seed", str(SEED),
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "10",
        "--no-color",
        *excluded,
    ]  # fmt: skip
    started = time.monotonic()
    # In tmp_path: schemathesis leaves a .schemathesis/ folder in its working directory.
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found failures ({time.monotonic() - started:.0f} s):\n{output}"
    # A run that tested nothing would pass too: make sure the operations were exercised.
    assert "No operations" not in output and "passed" in output.lower(), output
