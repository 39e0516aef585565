"""What every command needs, built once per run and only when used: settings, the network,
IPFS, the wallets, and the console (human or `--json` output)."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console

from backend.core.config import Settings
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.queue import UploadQueue
from client.chain import Network
from client.settings import ClientSettings
from client.wallets import WalletStore, resolve_account


@dataclass
class AppContext:
    settings: Settings = field(default_factory=Settings)
    client_settings: ClientSettings = field(default_factory=ClientSettings)
    console: Console = field(default_factory=Console)
    # Progress and waiting go to stderr, so `--json` output on stdout stays parseable.
    progress_console: Console = field(default_factory=lambda: Console(stderr=True))
    _network: Network | None = None
    _ipfs: IpfsClient | None = None

    @property
    def network(self) -> Network:
        if self._network is None:
            self._network = Network.connect(self.settings, self.client_settings)
            self._network.on_wait = self._show_wait
        return self._network

    @property
    def ipfs(self) -> IpfsClient:
        if self._ipfs is None:
            self._ipfs = IpfsClient.from_settings(self.settings)
        return self._ipfs

    @property
    def upload_queue(self) -> UploadQueue:
        return UploadQueue.from_settings(self.ipfs, self.settings)

    @property
    def wallets(self) -> WalletStore:
        return WalletStore(self.client_settings.wallet_dir)

    def password(self, name: str) -> str:
        if self.client_settings.wallet_password is not None:
            return self.client_settings.wallet_password.get_secret_value()
        return str(typer.prompt(f"Password of wallet {name!r}", hide_input=True, err=True))

    def account(self, spec: str) -> LocalAccount:
        return resolve_account(spec, self.wallets, self.network.chain_id, self.password)

    def _show_wait(self, text: str) -> None:
        self.progress_console.print(f"[dim]{text}[/dim]", highlight=False)

    def status(self, text: str) -> Any:
        """A spinner while long work runs (uploading, decrypting, waiting for the chain)."""
        return self.progress_console.status(text)

    def emit(self, as_json: bool, data: Any, render: Callable[[], None]) -> None:
        """Print `data` as JSON for scripts, or call `render` for people."""
        if as_json:
            typer.echo(json.dumps(data, indent=2, sort_keys=True))
        else:
            render()

    def close(self) -> None:
        if self._ipfs is not None:
            self._ipfs.close()
