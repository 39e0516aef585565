"""Challenge keys derived from a wallet signature: reproducible, separated per challenge."""

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from nacl.public import PrivateKey, PublicKey

from backend.services.storage.errors import StorageError
from backend.services.storage.keys import (
    challenge_key_message,
    challenge_private_key_from_signature,
    derive_challenge_private_key,
    verify_key_signature,
)

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SEEKER = Account.from_key(b"\x05" * 32)
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _signature(chain_id: int = 1337, contract: str = CONTRACT, challenge_id: int = 1) -> bytes:
    message = encode_defunct(text=challenge_key_message(chain_id, contract, challenge_id))
    return bytes(SEEKER.sign_message(message).signature)


def test_same_wallet_and_challenge_give_the_same_key() -> None:
    first = derive_challenge_private_key(SEEKER, 1337, CONTRACT, 1)
    again = derive_challenge_private_key(SEEKER, 1337, CONTRACT.lower(), 1)
    assert isinstance(first, PrivateKey)
    assert bytes(first) == bytes(again)


@pytest.mark.parametrize(
    ("chain_id", "contract", "challenge_id"),
    [(1, CONTRACT, 1), (1337, "0x" + "22" * 20, 1), (1337, CONTRACT, 2)],
)
def test_each_chain_contract_and_challenge_has_its_own_key(chain_id: int, contract: str, challenge_id: int) -> None:
    base = derive_challenge_private_key(SEEKER, 1337, CONTRACT, 1)
    other = derive_challenge_private_key(SEEKER, chain_id, contract, challenge_id)
    assert bytes(base) != bytes(other)


def test_other_wallet_gets_another_key() -> None:
    other = Account.from_key(b"\x06" * 32)
    assert bytes(derive_challenge_private_key(other, 1337, CONTRACT, 1)) != bytes(
        derive_challenge_private_key(SEEKER, 1337, CONTRACT, 1)
    )


def test_message_names_chain_contract_challenge_and_warns() -> None:
    text = challenge_key_message(1337, CONTRACT.lower(), 9)
    assert "Chain ID: 1337" in text
    assert f"Contract: {CONTRACT}" in text
    assert "Challenge: 9" in text
    assert "Sign this only on Crowdbounty" in text


def test_v_encoding_and_high_s_twin_give_the_same_key() -> None:
    signature = _signature()
    key = bytes(challenge_private_key_from_signature(signature))
    v_zero_one = signature[:64] + bytes([signature[64] - 27])
    s = int.from_bytes(signature[32:64], "big")
    high_s_twin = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + signature[64:]
    assert bytes(challenge_private_key_from_signature(v_zero_one)) == key
    assert bytes(challenge_private_key_from_signature(high_s_twin)) == key


def test_verify_key_signature_returns_the_public_key_of_the_seeker() -> None:
    public_key = verify_key_signature(_signature(), SEEKER.address, 1337, CONTRACT, 1)
    assert isinstance(public_key, PublicKey)
    assert bytes(public_key) == bytes(derive_challenge_private_key(SEEKER, 1337, CONTRACT, 1).public_key)


def test_signature_of_another_wallet_or_challenge_is_refused() -> None:
    with pytest.raises(StorageError, match="not by the seeker"):
        verify_key_signature(_signature(), "0x" + "33" * 20, 1337, CONTRACT, 1)
    with pytest.raises(StorageError, match="not by the seeker"):
        verify_key_signature(_signature(challenge_id=2), SEEKER.address, 1337, CONTRACT, 1)


def test_malformed_signature_is_refused() -> None:
    with pytest.raises(StorageError):
        challenge_private_key_from_signature(b"\x00" * 64)
