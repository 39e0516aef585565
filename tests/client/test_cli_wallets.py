"""`bounty wallet`: encrypted keystores, and using them to sign."""

import json
from pathlib import Path

import pytest
from conftest import Bounty, Platform, write_challenge

from client.wallets import dev_account

PASSWORD = "correct horse battery staple"


def test_new_wallet_is_an_encrypted_keystore_readable_only_by_its_owner(
    bounty: Bounty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROWDBOUNTY_WALLET_PASSWORD", PASSWORD)
    bounty.ok("wallet", "new", "alice")
    listed = bounty.json("wallet", "list")
    assert [w["name"] for w in listed] == ["alice"]
    keystore_file = tmp_path / "wallets" / "alice.json"
    assert keystore_file.stat().st_mode & 0o777 == 0o600
    keystore = json.loads(keystore_file.read_text())
    assert keystore["version"] == 3 and "crypto" in keystore
    assert "0x" + keystore["address"].lower() == listed[0]["address"].lower()
    bounty.fails("wallet", "new", "alice", code=2, says="exists already")
    bounty.fails("wallet", "new", "../escape", code=2, says="is not a wallet name")


def test_imported_key_signs_and_a_wrong_password_changes_nothing(
    bounty: Bounty, platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(dev_account(5).key.hex())
    bounty.ok("wallet", "import", "funded", "--key-file", str(key_file), input=f"{PASSWORD}\n{PASSWORD}\n")
    assert bounty.json("wallet", "list")[0]["address"] == dev_account(5).address
    spec = write_challenge(tmp_path)
    bounty.fails(
        "challenge",
        "create",
        str(spec),
        "--account",
        "funded",
        input="wrong\n",
        code=2,
        says="wrong password for wallet 'funded'",
    )
    assert platform.challenge.functions.challengeCount().call() == 0
    created = bounty.json("challenge", "create", str(spec), "--account", "funded", input=f"{PASSWORD}\n")
    assert bounty.json("challenge", "show", str(created["id"]))["seeker"] == dev_account(5).address
    bounty.fails("balance", "--account", "nobody", code=2, says="no wallet named 'nobody'")
    bad_key = tmp_path / "bad.txt"
    bad_key.write_text("not a key")
    bounty.fails(
        "wallet",
        "import",
        "bad",
        "--key-file",
        str(bad_key),
        input=f"{PASSWORD}\n{PASSWORD}\n",
        code=2,
        says="not a private key",
    )


def test_a_new_wallet_without_ether_gets_the_fix(
    bounty: Bounty, platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROWDBOUNTY_WALLET_PASSWORD", PASSWORD)
    bounty.ok("wallet", "new", "empty")
    bounty.fails(
        "challenge", "create", str(write_challenge(tmp_path)), "--account", "empty", code=4, says="insufficient funds"
    )
