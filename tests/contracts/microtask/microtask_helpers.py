"""Helpers for the micro-task escrow tests: EIP-712 signing, Merkle trees, error strings.

Everything here follows the encodings documented in contracts/MicrotaskEscrow.sol and
docs/microtask.md, so the backend can build the same vouchers and trees.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from brownie import accounts, chain
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak

DOMAIN_NAME = "Crowdbounty MicrotaskEscrow"
DOMAIN_VERSION = "1"
ETH = "0x0000000000000000000000000000000000000000"

VOUCHER_TYPES = {
    "Voucher": [
        {"name": "batchId", "type": "uint256"},
        {"name": "worker", "type": "address"},
        {"name": "cumulativeAmount", "type": "uint256"},
    ]
}
QUALIFICATION_TYPES = {
    "Qualification": [
        {"name": "batchId", "type": "uint256"},
        {"name": "worker", "type": "address"},
    ]
}
MNEMONIC = "test test test test test test test test test test test junk"
REWARD = 10**15
TASK_COUNT = 8
BONUS_POOL = 2 * 10**15
REVIEW_WINDOW = 2 * 24 * 3600
ASSIGNMENT_DURATION = 3600
BATCH_LIFETIME = 10 * 24 * 3600
MANIFEST_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
ZERO32 = b"\x00" * 32
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def domain(chain_id: int, contract: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": str(contract),
    }


def sign_voucher(key: str, chain_id: int, contract: str, batch_id: int, worker: str, cumulative: int) -> bytes:
    """The requester's 65-byte signature over Voucher(batchId, worker, cumulativeAmount)."""
    message = {"batchId": batch_id, "worker": str(worker), "cumulativeAmount": cumulative}
    signed = Account.sign_typed_data(key, domain(chain_id, contract), VOUCHER_TYPES, message)
    return bytes(signed.signature)


def sign_qualification(key: str, chain_id: int, contract: str, batch_id: int, worker: str) -> bytes:
    """The qualifier's signature over Qualification(batchId, worker)."""
    message = {"batchId": batch_id, "worker": str(worker)}
    signed = Account.sign_typed_data(key, domain(chain_id, contract), QUALIFICATION_TYPES, message)
    return bytes(signed.signature)


def high_s(signature: bytes) -> bytes:
    """The malleable twin of a signature: s' = n - s, v flipped. Same signer, different bytes."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28


def leaf(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """OpenZeppelin StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(...))))."""
    return keccak(keccak(encode(list(types), list(values))))


@dataclass
class MerkleTree:
    """Sorted-pair Merkle tree (OpenZeppelin MerkleProof); an odd node is carried up as is."""

    leaves: list[bytes]

    def __post_init__(self) -> None:
        self.layers = [list(self.leaves)]
        while len(self.layers[-1]) > 1:
            below = self.layers[-1]
            above = [
                _hash_pair(below[i], below[i + 1]) if i + 1 < len(below) else below[i] for i in range(0, len(below), 2)
            ]
            self.layers.append(above)

    @property
    def root(self) -> bytes:
        return self.layers[-1][0]

    def proof(self, index: int) -> list[bytes]:
        path = []
        for layer in self.layers[:-1]:
            sibling = index ^ 1
            if sibling < len(layer):
                path.append(layer[sibling])
            index //= 2
        return path


def _hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def task_hash(index: int) -> bytes:
    return keccak(text=f"task-{index}")


def task_tree(count: int) -> MerkleTree:
    return MerkleTree([leaf(["uint256", "bytes32"], [i, task_hash(i)]) for i in range(count)])


def allowlist_tree(workers: Sequence[str]) -> MerkleTree:
    return MerkleTree([leaf(["address"], [str(w)]) for w in workers])


def settlement_tree(entries: Sequence[tuple[str, int]]) -> MerkleTree:
    return MerkleTree([leaf(["address", "uint256"], [str(w), amount]) for w, amount in entries])


def error(signature: str, *values: Any) -> str:
    """A custom error as Brownie 1.22 prints it: "Name: v1, v2" (decoded values, str())."""
    name, _, args = signature.partition("(")
    types = [t for t in args.rstrip(")").split(",") if t]
    decoded = decode(
        types, encode(types, [str(v) if t == "address" else v for t, v in zip(types, values, strict=True)])
    )
    return f"{name}: {', '.join(str(v) for v in decoded)}"


def batch_params(**overrides: Any) -> tuple[Any, ...]:
    """BatchParams as a tuple in declaration order; keyword overrides by field name."""
    fields: dict[str, Any] = {
        "token": ETH,
        "reward": REWARD,
        "taskCount": TASK_COUNT,
        "bonusPool": BONUS_POOL,
        "taskRoot": task_tree(TASK_COUNT).root,
        "assignmentDuration": ASSIGNMENT_DURATION,
        "reviewWindow": REVIEW_WINDOW,
        "expiry": int(chain.time()) + BATCH_LIFETIME,
        "qualificationKind": 0,
        "qualification": ZERO32,
        "arbiter": accounts[4].address,
        "manifestCid": MANIFEST_CID,
    }
    unknown = set(overrides) - set(fields)
    assert not unknown, unknown
    fields.update(overrides)
    return tuple(fields.values())


def escrowed(params: tuple[Any, ...]) -> int:
    return params[1] * params[2] + params[3]


def sleep(seconds: int) -> None:
    chain.sleep(seconds)
    chain.mine()


def now() -> int:
    return int(chain.time())
