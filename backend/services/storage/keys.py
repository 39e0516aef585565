"""A challenge's X25519 key pair, recoverable from the seeker's wallet alone.

The seeker signs a fixed, domain-separated text (EIP-191 `personal_sign`) naming the chain,
the contract and the challenge; the signature's (r, s) is hashed with a personalised
BLAKE2b into the X25519 seed. Wallets sign deterministically (RFC 6979), so signing again
later gives the same key. See docs/keys.md for the risks of this choice.
"""

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey

from backend.services.storage.errors import StorageError

KEY_DERIVATION_VERSION = 1
# BLAKE2b personalisation (16 bytes): the seed is useless for any other purpose.
_SEED_PERSONALISATION = b"cb-challenge-kd1"
# Order of secp256k1: a signature's s and n - s are both valid; wallets may return either.
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SIGNATURE_BYTES = 65


def challenge_key_message(chain_id: int, contract: str, challenge_id: int) -> str:
    """The exact text a seeker signs to derive the key of one challenge."""
    return (
        f"Crowdbounty challenge key v{KEY_DERIVATION_VERSION}\n"
        "\n"
        "Sign this only on Crowdbounty. The signature is the private key that opens the "
        "solutions sent to this challenge: anyone who gets it can read them.\n"
        "\n"
        f"Chain ID: {chain_id}\n"
        f"Contract: {to_checksum_address(contract)}\n"
        f"Challenge: {challenge_id}"
    )


def challenge_private_key_from_signature(signature: bytes) -> PrivateKey:
    """The challenge's X25519 private key from the wallet's signature of the key message.

    Only (r, s) is hashed, with s normalised to the low half, so wallets that encode `v`
    as 0/1 or 27/28, or return the high-s twin, still give the same key.
    """
    if len(signature) != _SIGNATURE_BYTES:
        raise StorageError(f"a key signature has {_SIGNATURE_BYTES} bytes, got {len(signature)}")
    r = signature[:32]
    s = int.from_bytes(signature[32:64], "big")
    low_s = min(s, _SECP256K1_N - s)
    seed = blake2b(r + low_s.to_bytes(32, "big"), digest_size=32, person=_SEED_PERSONALISATION, encoder=RawEncoder)
    return PrivateKey.from_seed(seed)


def derive_challenge_private_key(account: LocalAccount, chain_id: int, contract: str, challenge_id: int) -> PrivateKey:
    """Derive the challenge key with a local account (CLI, tests); browsers sign the same text."""
    message = encode_defunct(text=challenge_key_message(chain_id, contract, challenge_id))
    return challenge_private_key_from_signature(bytes(account.sign_message(message).signature))


def verify_key_signature(signature: bytes, seeker: str, chain_id: int, contract: str, challenge_id: int) -> PublicKey:
    """Check that `seeker` signed the key message; return the public key it derives.

    Lets the CLI refuse a signature from the wrong wallet before publishing its key.
    """
    message = encode_defunct(text=challenge_key_message(chain_id, contract, challenge_id))
    signer = Account.recover_message(message, signature=signature)
    if signer != to_checksum_address(seeker):
        raise StorageError(f"the key message was signed by {signer}, not by the seeker {seeker}")
    return challenge_private_key_from_signature(signature).public_key
