"""Wallets: encrypted keystores (Web3 Secret Storage, keystore v3) in one folder, and the dev
chain's accounts by index (`dev:1`) for local work."""

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from client.errors import InputError, WalletError
from devstack.settings import DEV_CHAIN_ID, DEV_MNEMONIC

Account.enable_unaudited_hdwallet_features()

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DEV_PREFIX = "dev:"
DEV_ACCOUNT_COUNT = 10

PasswordSource = Callable[[str], str]


@dataclass(frozen=True)
class WalletEntry:
    name: str
    address: str
    path: Path


def dev_account(index: int) -> LocalAccount:
    """Account `index` of the dev mnemonic (the accounts Ganache funds on `make up`)."""
    if not 0 <= index < DEV_ACCOUNT_COUNT:
        raise InputError(f"dev account {index} does not exist", f"use dev:0 ... dev:{DEV_ACCOUNT_COUNT - 1}")
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


class WalletStore:
    """Keystore files `<name>.json` in `directory`, readable by the owner only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise InputError(f"{name!r} is not a wallet name", "use letters, digits, '.', '_' or '-' (64 at most)")
        return self.directory / f"{name}.json"

    def _write(self, name: str, account: LocalAccount, password: str) -> WalletEntry:
        path = self._path(name)
        if path.exists():
            raise WalletError(f"a wallet named {name!r} exists already", "choose another name")
        if not password:
            raise InputError("an empty password would leave the key unprotected", "give a password")
        keystore = Account.encrypt(account.key, password)
        self.directory.mkdir(parents=True, exist_ok=True)
        # Created 0600 at once, never readable by others even for an instant.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(keystore, out)
        return WalletEntry(name, account.address, path)

    def create(self, name: str, password: str) -> WalletEntry:
        """A new random key, stored encrypted under `password`."""
        return self._write(name, Account.create(), password)

    def import_key(self, name: str, private_key: str, password: str) -> WalletEntry:
        """Store an existing private key (hex) encrypted under `password`."""
        try:
            account = Account.from_key(private_key.strip())
        except (ValueError, TypeError) as error:
            raise InputError(
                "that is not a private key", "give 32 bytes in hex (64 hex digits, 0x optional)"
            ) from error
        return self._write(name, account, password)

    def entries(self) -> list[WalletEntry]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob("*.json")):
            keystore = self._read(path)
            found.append(WalletEntry(path.stem, to_checksum_address(keystore["address"]), path))
        return found

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            keystore: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise WalletError(f"cannot read the keystore {path}: {error}") from error
        return keystore

    def unlock(self, name: str, password: PasswordSource) -> LocalAccount:
        """Decrypt wallet `name`; `password(name)` is asked only once the wallet is found."""
        path = self._path(name)
        if not path.exists():
            raise WalletError(f"no wallet named {name!r} in {self.directory}", "see `bounty wallet list`")
        keystore = self._read(path)
        try:
            key = Account.decrypt(keystore, password(name))
        except ValueError:
            raise WalletError(
                f"wrong password for wallet {name!r}", "try again, or set CROWDBOUNTY_WALLET_PASSWORD"
            ) from None
        account: LocalAccount = Account.from_key(key)
        return account


def resolve_account(spec: str, store: WalletStore, chain_id: int, password: PasswordSource) -> LocalAccount:
    """`dev:N` (only on the dev chain) or the name of a keystore, asking `password(name)` for it."""
    if spec.startswith(_DEV_PREFIX):
        if chain_id != DEV_CHAIN_ID:
            raise WalletError(
                f"dev accounts exist only on the dev chain ({DEV_CHAIN_ID}), this is chain {chain_id}",
                "use a keystore wallet (`bounty wallet new`)",
            )
        try:
            index = int(spec[len(_DEV_PREFIX) :])
        except ValueError:
            raise InputError(f"{spec!r} is not a dev account", "write dev:0, dev:1, ...") from None
        return dev_account(index)
    return store.unlock(spec, password)
