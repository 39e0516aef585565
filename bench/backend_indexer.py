"""Indexer throughput: IndexerProbe events (200 per transaction) through the real indexer
code path (eth_getLogs on a real Ganache, ABI decoding, one database transaction per range),
into SQLite and PostgreSQL. Run: `python -m bench.backend_indexer`."""

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from web3 import HTTPProvider, Web3

from backend.db import make_engine
from backend.services.database import migrate
from backend.services.indexer import FollowedContract, Indexer, IndexerConfig
from devstack.contracts import load_artifact
from devstack.results import record_results
from devstack.services import LocalChain, LocalPostgres

TRANSACTIONS = 30
EVENTS_PER_TRANSACTION = 200


def _emit(w3: Web3, artifact: dict[str, Any]) -> FollowedContract:
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact())
    probe = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    hashes = [probe.functions.emitMany(EVENTS_PER_TRANSACTION).transact() for _ in range(TRANSACTIONS)]
    for tx_hash in hashes:
        w3.eth.wait_for_transaction_receipt(tx_hash)
    return FollowedContract("IndexerProbe", probe.address, artifact["abi"], receipt["blockNumber"])


def _events_per_s(w3: Web3, url: str, contract: FollowedContract) -> float:
    engine = make_engine(url)
    migrate(engine)
    indexer = Indexer(w3, engine, [contract], config=IndexerConfig(max_block_range=2000))
    started = time.perf_counter()
    stats = indexer.run_once()
    elapsed = time.perf_counter() - started
    engine.dispose()
    assert stats.events == TRANSACTIONS * EVENTS_PER_TRANSACTION, stats
    return stats.events / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crowdbounty-bench-indexer-", dir="/tmp") as folder:
        root = Path(folder)
        with LocalChain(root / "chain-root") as chain:
            w3 = Web3(HTTPProvider(chain.rpc_url, request_kwargs={"timeout": 60}, exception_retry_configuration=None))
            w3.eth.default_account = w3.eth.accounts[0]
            contract = _emit(w3, load_artifact("IndexerProbe"))
            results: dict[str, Any] = {
                "events": TRANSACTIONS * EVENTS_PER_TRANSACTION,
                "events_per_transaction": EVENTS_PER_TRANSACTION,
                "cpus": os.cpu_count(),
                "indexer_events_per_s": round(_events_per_s(w3, f"sqlite:///{root / 'bench.db'}", contract)),
            }
            with LocalPostgres() as postgres:
                url = postgres.create_database("bench")
                results["indexer_events_per_s_postgresql"] = round(_events_per_s(w3, url, contract))
    print(json.dumps(results, indent=2))
    record_results("backend", "indexer", results)


if __name__ == "__main__":
    main()
