"""The EIP-712 messages of the micro-task domain, in one place (documented in docs/microtask.md).

- `Voucher` and `Qualification` are EXACTLY the contract's typed data and domain ("Crowdbounty MicrotaskEscrow",
  "1"), so a voucher the backend stored redeems on chain with the same signature, and a
  qualification proof accepted for a claim also passes `submitResult`.
- `Claim`, `Result` and `Review` never reach the contract; they use a domain of their own
  ("Crowdbounty Microtasks", "1", same chain id and verifying contract = the escrow), so no
  off-chain signature can ever be mistaken for an on-chain one, or for another chain's.
  Each carries a `deadline` (Unix seconds) and the backend stores its digest once, so a
  message is accepted at most once and never after its deadline.

Signatures are 65 bytes `r || s || v` with v 27 or 28 and low s, as the contract's ECDSA
requires; anything else is refused before recovery.
"""

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.crypto import keccak
from eth_utils.hexadecimal import encode_hex

from backend.errors import CrowdbountyError

ESCROW_DOMAIN_NAME = "Crowdbounty MicrotaskEscrow"
OFFCHAIN_DOMAIN_NAME = "Crowdbounty Microtasks"
DOMAIN_VERSION = "1"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

VOUCHER_TYPES: dict[str, list[dict[str, str]]] = {
    "Voucher": [
        {"name": "batchId", "type": "uint256"},
        {"name": "worker", "type": "address"},
        {"name": "cumulativeAmount", "type": "uint256"},
    ]
}
QUALIFICATION_TYPES: dict[str, list[dict[str, str]]] = {
    "Qualification": [
        {"name": "batchId", "type": "uint256"},
        {"name": "worker", "type": "address"},
    ]
}
CLAIM_TYPES: dict[str, list[dict[str, str]]] = {
    "Claim": [
        {"name": "batchId", "type": "uint256"},
        {"name": "taskIndex", "type": "uint256"},
        {"name": "worker", "type": "address"},
        {"name": "deadline", "type": "uint64"},
    ]
}
RESULT_TYPES: dict[str, list[dict[str, str]]] = {
    "Result": [
        {"name": "batchId", "type": "uint256"},
        {"name": "taskIndex", "type": "uint256"},
        {"name": "worker", "type": "address"},
        {"name": "resultHash", "type": "bytes32"},
        {"name": "resultCid", "type": "string"},
        {"name": "deadline", "type": "uint64"},
    ]
}
REVIEW_TYPES: dict[str, list[dict[str, str]]] = {
    "Review": [
        {"name": "batchId", "type": "uint256"},
        {"name": "taskIndex", "type": "uint256"},
        {"name": "worker", "type": "address"},
        {"name": "approved", "type": "bool"},
        {"name": "reasonHash", "type": "bytes32"},
        {"name": "bonus", "type": "uint256"},
        {"name": "deadline", "type": "uint64"},
    ]
}


class SignatureError(CrowdbountyError):
    """A signature that is malformed (length, v, high s) or does not recover at all."""


@dataclass(frozen=True)
class TypedMessage:
    """One EIP-712 message: its domain, types and values, ready to sign or verify."""

    domain: dict[str, Any]
    types: dict[str, list[dict[str, str]]]
    message: dict[str, Any]

    def signable(self) -> SignableMessage:
        return encode_typed_data(self.domain, self.types, self.message)

    @property
    def digest(self) -> str:
        """The 0x-hex EIP-712 digest (what is signed; stored to refuse replays)."""
        signable = self.signable()
        return encode_hex(keccak(b"\x19" + signable.version + signable.header + signable.body))

    def sign(self, private_key: str | bytes) -> bytes:
        """The 65-byte signature of `private_key` (clients and tests; the backend only verifies)."""
        return bytes(Account.sign_message(self.signable(), private_key).signature)

    def recover(self, signature: bytes) -> str:
        """The checksummed signer of `signature`; refuses what the contract's ECDSA refuses."""
        if len(signature) != 65:
            raise SignatureError(f"a signature has 65 bytes (r, s, v), got {len(signature)}")
        s = int.from_bytes(signature[32:64], "big")
        if s > SECP256K1_N // 2:
            raise SignatureError("malleable signature: s is in the upper half of the curve order")
        if signature[64] not in (27, 28):
            raise SignatureError(f"signature v must be 27 or 28, got {signature[64]}")
        try:
            return str(Account.recover_message(self.signable(), signature=signature))
        except Exception as error:
            raise SignatureError(f"the signature does not recover to any address: {error}") from error


def escrow_domain(chain_id: int, escrow: str) -> dict[str, Any]:
    """The contract's own EIP-712 domain (vouchers and qualifications)."""
    return {"name": ESCROW_DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": escrow}


def offchain_domain(chain_id: int, escrow: str) -> dict[str, Any]:
    """The domain of the messages only the backend verifies."""
    return {"name": OFFCHAIN_DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": escrow}


def voucher_message(chain_id: int, escrow: str, *, batch_id: int, worker: str, cumulative_amount: int) -> TypedMessage:
    message = {"batchId": batch_id, "worker": worker, "cumulativeAmount": cumulative_amount}
    return TypedMessage(escrow_domain(chain_id, escrow), VOUCHER_TYPES, message)


def qualification_message(chain_id: int, escrow: str, *, batch_id: int, worker: str) -> TypedMessage:
    """The contract's `Qualification(batchId, worker)`, signed by a batch's qualifier."""
    return TypedMessage(escrow_domain(chain_id, escrow), QUALIFICATION_TYPES, {"batchId": batch_id, "worker": worker})


def claim_message(
    chain_id: int, escrow: str, *, batch_id: int, task_index: int, worker: str, deadline: int
) -> TypedMessage:
    message = {"batchId": batch_id, "taskIndex": task_index, "worker": worker, "deadline": deadline}
    return TypedMessage(offchain_domain(chain_id, escrow), CLAIM_TYPES, message)


def result_message(
    chain_id: int,
    escrow: str,
    *,
    batch_id: int,
    task_index: int,
    worker: str,
    result_hash: str,
    result_cid: str,
    deadline: int,
) -> TypedMessage:
    message = {
        "batchId": batch_id,
        "taskIndex": task_index,
        "worker": worker,
        "resultHash": bytes.fromhex(result_hash[2:]),
        "resultCid": result_cid,
        "deadline": deadline,
    }
    return TypedMessage(offchain_domain(chain_id, escrow), RESULT_TYPES, message)


def review_message(
    chain_id: int,
    escrow: str,
    *,
    batch_id: int,
    task_index: int,
    worker: str,
    approved: bool,
    reason_hash: str,
    bonus: int,
    deadline: int,
) -> TypedMessage:
    message = {
        "batchId": batch_id,
        "taskIndex": task_index,
        "worker": worker,
        "approved": approved,
        "reasonHash": bytes.fromhex(reason_hash[2:]),
        "bonus": bonus,
        "deadline": deadline,
    }
    return TypedMessage(offchain_domain(chain_id, escrow), REVIEW_TYPES, message)
