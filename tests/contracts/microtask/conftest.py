"""Fixtures for the micro-task escrow tests (run with `--network dev-microtask`)."""

# Pytest fixtures arrive as positional parameters; many per test is normal here.

from typing import Any

import pytest
from brownie import accounts, chain
from eth_account import Account
from microtask_helpers import (
    ETH,
    MNEMONIC,
    TASK_COUNT,
    batch_params,
    escrowed,
    sign_voucher,
    task_hash,
    task_tree,
)

Account.enable_unaudited_hdwallet_features()


@pytest.fixture(autouse=True)
def isolation(fn_isolation: Any) -> None:
    pass


@pytest.fixture(scope="session")
def keys() -> list[str]:
    """Private keys of brownie's dev accounts (same mnemonic as the dev-microtask Ganache)."""
    derived = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(len(accounts))]
    assert [a.address for a in derived] == [a.address for a in accounts]
    return [a.key.hex() for a in derived]


@pytest.fixture(scope="session")
def requester() -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def workers() -> list[Any]:
    return [accounts[1], accounts[2], accounts[3]]


@pytest.fixture(scope="session")
def arbiter() -> Any:
    return accounts[4]


@pytest.fixture(scope="session")
def stranger() -> Any:
    return accounts[5]


@pytest.fixture(scope="module")
def escrow(MicrotaskEscrow: Any) -> Any:
    return MicrotaskEscrow.deploy({"from": accounts[9]})


@pytest.fixture(scope="module")
def token(TestToken: Any, requester: Any, workers: list[Any]) -> Any:
    t = TestToken.deploy({"from": accounts[9]})
    for holder in [requester, *workers]:
        t.mint(holder, 10**24, {"from": holder})
    return t


@pytest.fixture(scope="session")
def tasks() -> Any:
    return task_tree(TASK_COUNT)


@pytest.fixture
def fund(escrow: Any, requester: Any) -> Any:
    """fund(**overrides) -> (batch_id, tx): funds a batch from the requester, in ETH by default."""

    def _fund(sender: Any = None, **overrides: Any) -> tuple[int, Any]:
        sender = sender or requester
        params = batch_params(**overrides)
        value = escrowed(params) if params[0] == ETH else 0
        tx = escrow.fundBatch(params, {"from": sender, "value": value})
        return tx.return_value, tx

    return _fund


@pytest.fixture
def batch(fund: Any) -> int:
    """An ETH batch of 8 tasks at 0.001 ETH plus a 0.002 ETH bonus pool, with an arbiter."""
    batch_id, _ = fund()
    return batch_id


@pytest.fixture
def voucher(escrow: Any, keys: list[str]) -> Any:
    """voucher(batch_id, worker, cumulative, signer_index=0, chain_id=None, contract=None) -> signature."""

    def _voucher(
        batch_id: int,
        worker: Any,
        cumulative: int,
        signer_index: int = 0,
        chain_id: int | None = None,
        contract: Any = None,
    ) -> bytes:
        return sign_voucher(
            keys[signer_index],
            chain.id if chain_id is None else chain_id,
            str(contract or escrow.address),
            batch_id,
            str(worker),
            cumulative,
        )

    return _voucher


@pytest.fixture
def submit(escrow: Any, tasks: Any) -> Any:
    """submit(batch_id, worker, task_index=0, result=b"r"...) posts a result on chain."""

    def _submit(batch_id: int, worker: Any, task_index: int = 0, qualification: bytes = b"") -> Any:
        result_hash = task_hash(10_000 + task_index)
        return escrow.submitResult(
            batch_id,
            task_index,
            task_hash(task_index),
            result_hash,
            tasks.proof(task_index),
            qualification,
            {"from": worker},
        )

    return _submit
