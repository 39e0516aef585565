"""Fixtures of the CLI tests: `bounty` run in-process (Typer's CliRunner) against the platform
deployed afresh on the session's Ganache, the session's IPFS node, and the backend served on
them (both from tests/platform_support.py, shared with the browser tests)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from platform_support import Backend, Platform, deploy_test_platform, serve_backend
from typer.testing import CliRunner, Result

from client.cli import app
from devstack.services import LocalChain, LocalIpfsNode


@pytest.fixture
def platform(running_chain: LocalChain, tmp_path: Path) -> Platform:
    """Both escrows (and the teams registry) deployed afresh, a TestToken minted to the dev
    accounts, and a deployments file like the one `make up` writes."""
    return deploy_test_platform(running_chain.rpc_url, tmp_path)


@dataclass
class Bounty:
    """`bounty` with the test's settings; `ok(...)` asserts success, `fails(...)` a clean error."""

    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (
            f"bounty {' '.join(args)} failed ({result.exit_code}): {result.stderr}{result.stdout}"
        )
        return result

    def json(self, *args: str, input: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", input=input).stdout)

    def fails(self, *args: str, code: int, says: str, input: str | None = None) -> Result:
        """The command fails with exit code `code` and one error line containing `says`."""
        result = self(*args, input=input)
        assert result.exit_code == code, f"exit {result.exit_code}, expected {code}: {result.stderr}{result.stdout}"
        lines = [line for line in result.stderr.splitlines() if "error:" in line]
        assert len(lines) == 1, result.stderr
        assert says in lines[0], lines[0]
        return result


@pytest.fixture
def bounty(
    platform: Platform,
    running_ipfs_node: LocalIpfsNode,
    running_chain: LocalChain,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Bounty]:
    monkeypatch.setenv("CROWDBOUNTY_RPC_URL", running_chain.rpc_url)
    monkeypatch.setenv("CROWDBOUNTY_IPFS_API_URL", running_ipfs_node.api_url)
    monkeypatch.setenv("CROWDBOUNTY_DEPLOYMENTS_FILE", str(platform.deployments_file))
    monkeypatch.setenv("CROWDBOUNTY_WALLET_DIR", str(tmp_path / "wallets"))
    monkeypatch.setenv("CROWDBOUNTY_UPLOAD_QUEUE_DIR", str(tmp_path / "upload-queue"))
    monkeypatch.setenv("CROWDBOUNTY_BACKEND_URL", "http://127.0.0.1:9")  # nothing listens: backend calls fail clearly
    monkeypatch.delenv("CROWDBOUNTY_ACCOUNT", raising=False)
    monkeypatch.delenv("CROWDBOUNTY_WALLET_PASSWORD", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # Rich wraps at the terminal width; keep error lines whole
    yield Bounty(CliRunner())


def write_challenge(folder: Path, **fields: Any) -> Path:
    """A challenge file (Markdown with YAML front matter) and its agreement, in `folder`."""
    (folder / "agreement.md").write_text("# Agreement\n\nThe winner assigns the IP to the seeker.\n")
    front = {
        "title": "Cheaper water filters",
        "kind": "ideation",
        "prizes": ["1.0"],
        "submission_deadline": "+7d",
        "evaluation_deadline": "+14d",
        "agreement": "agreement.md",
        "tags": ["water"],
        **fields,
    }
    lines = [f"{key}: {json.dumps(value)}" for key, value in front.items()]
    path = folder / "challenge.md"
    path.write_text("---\n" + "\n".join(lines) + "\n---\nFind a filter that costs under $1.\n")
    return path


@pytest.fixture
def backend(
    bounty: Bounty,
    platform: Platform,
    running_ipfs_node: LocalIpfsNode,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Backend]:
    """The API over HTTP; its indexer runs when the test calls `index()`."""
    with serve_backend(platform, running_ipfs_node.api_url, tmp_path) as served:
        monkeypatch.setenv("CROWDBOUNTY_BACKEND_URL", served.url)
        yield served


@pytest.fixture
def live_backend(
    bounty: Bounty,
    platform: Platform,
    running_ipfs_node: LocalIpfsNode,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Backend]:
    """The API over HTTP with its indexer following the chain: events only, without the
    indexer process's metadata join (the CLI's journeys do not need it)."""
    with serve_backend(platform, running_ipfs_node.api_url, tmp_path, follow=True) as served:
        monkeypatch.setenv("CROWDBOUNTY_BACKEND_URL", served.url)
        yield served
