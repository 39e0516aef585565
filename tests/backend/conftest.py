"""Database and chain fixtures of the backend tests: every database test runs on a SQLite
file AND on a real PostgreSQL (pgserver); contracts are deployed on the session's Ganache."""

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient
from microtask_support import market  # noqa: F401 - the micro-task API fixture
from sqlalchemy import Engine, select
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.logs import DISCARD

from backend.core.config import get_settings
from backend.db import make_engine
from backend.main import create_app
from backend.models import ChainEvent, IndexerCursor
from backend.services.auth import SiweMessage, format_siwe_message
from backend.services.database import migrate
from backend.services.indexer import FollowedContract, Indexer, IndexerConfig, Projection
from devstack.contracts import Platform, deploy, deploy_platform, load_artifact
from devstack.services import LocalChain, LocalPostgres


@dataclass
class PostgresServer:
    server: LocalPostgres | None
    failure: str | None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL 16 (pgserver) in a /tmp folder, deleted at the end of the session."""
    server = LocalPostgres()
    try:
        server.start()
    except Exception as error:  # noqa: BLE001 - any failure becomes the skip reason of every PostgreSQL test
        server.stop()
        yield PostgresServer(None, f"{type(error).__name__}: {error}")
        return
    yield PostgresServer(server, None)
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file in tmp_path, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'backend.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    if server.server is None:
        pytest.skip(f"!!! PostgreSQL COULD NOT START, PostgreSQL tests skipped: {server.failure}")
    return server.server.create_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def probe_artifact() -> dict[str, Any]:
    return load_artifact("IndexerProbe")


@pytest.fixture
def w3(running_chain: LocalChain) -> Web3:
    w3 = Web3(HTTPProvider(running_chain.rpc_url, request_kwargs={"timeout": 10}, exception_retry_configuration=None))
    w3.eth.default_account = w3.eth.accounts[0]
    return w3


@dataclass
class DeployedProbe:
    contract: Contract
    block: int
    abi: list[dict[str, Any]]

    @property
    def address(self) -> str:
        return str(self.contract.address)


@pytest.fixture
def probe(w3: Web3, probe_artifact: dict[str, Any]) -> DeployedProbe:
    """A fresh IndexerProbe, so every test indexes only its own events."""
    factory = w3.eth.contract(abi=probe_artifact["abi"], bytecode=probe_artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact())
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=probe_artifact["abi"])
    return DeployedProbe(contract, receipt["blockNumber"], probe_artifact["abi"])


class IndexerHarness:
    """The probe, the database and the chain of one test, with what indexer tests ask of them."""

    def __init__(self, w3: Web3, engine: Engine, probe: DeployedProbe) -> None:
        self.w3 = w3
        self.engine = engine
        self.probe = probe

    def indexer(self, w3: Web3 | None = None, projections: Sequence[Projection] = (), **config: Any) -> Indexer:
        """An indexer following the probe only, configured with `config` (IndexerConfig fields)."""
        contract = FollowedContract("IndexerProbe", self.probe.address, self.probe.abi, self.probe.block)
        return Indexer(
            w3 or self.w3,
            self.engine,
            [contract],
            config=IndexerConfig(**config),
            projections=projections,
            expected_chain_id=1337,
        )

    def ping(self, amount: int = 1, delta: int = -1, data: bytes = b"", note: str = "", sender: int = 0) -> Any:
        return self.probe.contract.functions.ping(amount, delta, data, note).transact(
            {"from": self.w3.eth.accounts[sender]}
        )

    def emit_many(self, count: int) -> Any:
        return self.probe.contract.functions.emitMany(count).transact()

    def rpc(self, method: str, *params: Any) -> Any:
        response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in response, response
        return response["result"]

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def events(self) -> list[dict[str, Any]]:
        """Every row of chain_events in chain order, without the surrogate id."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(ChainEvent.__table__).order_by(ChainEvent.block_number, ChainEvent.log_index)
            ).mappings()
            return [{key: value for key, value in row.items() if key != "id"} for row in rows]

    def cursor(self, stream: str = "main") -> int | None:
        with self.engine.connect() as connection:
            return connection.execute(
                select(IndexerCursor.last_block).where(IndexerCursor.chain_id == 1337, IndexerCursor.stream == stream)
            ).scalar_one_or_none()

    def expected(self, tx_hashes: list[Any]) -> list[dict[str, Any]]:
        """The rows the indexer must write for these transactions, from their receipts."""
        rows = []
        for tx_hash in tx_hashes:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
            for name in ("Pinged", "Counted"):
                for event in self.probe.contract.events[name]().process_receipt(receipt, errors=DISCARD):
                    rows.append(
                        {
                            "chain_id": 1337,
                            "stream": "main",
                            "contract_name": "IndexerProbe",
                            "contract_address": self.probe.address,
                            "event_name": name,
                            "block_number": event["blockNumber"],
                            "block_hash": "0x" + event["blockHash"].hex(),
                            "tx_hash": "0x" + event["transactionHash"].hex(),
                            "tx_index": event["transactionIndex"],
                            "log_index": event["logIndex"],
                            "args": {key: _json_arg(value) for key, value in event["args"].items()},
                        }
                    )
        return sorted(rows, key=lambda row: (row["block_number"], row["log_index"]))


@pytest.fixture
def harness(w3: Web3, engine: Engine, probe: DeployedProbe) -> IndexerHarness:
    return IndexerHarness(w3, engine, probe)


def _json_arg(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


@dataclass
class Escrows(Platform):
    """Fresh Crowdbounty contracts on the session's chain (see `Platform`), and a plain ERC-20
    (TestToken) minted to the dev accounts."""

    w3: Web3
    token: Contract

    def followed(self) -> list[FollowedContract]:
        """What the indexer follows on the `make up` stack: the three platform contracts."""
        return [
            FollowedContract(name, str(contract.address), contract.abi, self.block)
            for name, contract in self.by_name().items()
        ]


@pytest.fixture
def escrows(w3: Web3) -> Escrows:
    """The platform contracts, deployed afresh so a test indexes only its own events."""
    platform = deploy_platform(w3)
    token, _ = deploy(w3, "TestToken")
    for account in w3.eth.accounts[:6]:
        w3.eth.wait_for_transaction_receipt(token.functions.mint(account, 10**24).transact())
    return Escrows(platform.challenge, platform.teams, platform.microtask, platform.block, w3, token)


# ---------------------------------------------------------------- API (auth, notifications, rooms)

DEV_MNEMONIC = "test test test test test test test test test test test junk"


def dev_account(index: int) -> LocalAccount:
    """The private key of the session chain's dev account `index` (Ganache's accounts[index])."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def siwe_text(address: str, nonce: str, **fields: Any) -> str:
    """An EIP-4361 message for the API's test settings; `fields` override SiweMessage fields."""
    values: dict[str, Any] = {
        "domain": "app.crowdbounty.test",
        "address": address,
        "statement": "Sign in to Crowdbounty.",
        "uri": "https://app.crowdbounty.test",
        "version": "1",
        "chain_id": 1337,
        "nonce": nonce,
        "issued_at": datetime.now(UTC).replace(microsecond=0),
        **fields,
    }
    return format_siwe_message(SiweMessage(**values))


def sign_text(account: LocalAccount, text: str) -> str:
    return account.sign_message(encode_defunct(text=text)).signature.to_0x_hex()


@dataclass
class Api:
    """The FastAPI app configured (through CROWDBOUNTY_* variables, like in production) for
    the test's database and a deployments file naming the test's contracts."""

    app: FastAPI

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")

    def sign_in(self, client: TestClient, account: LocalAccount) -> str:
        """Sign in through the API; returns the session token (the client keeps the cookie too)."""
        nonce = client.post("/api/auth/nonce").json()["nonce"]
        text = siwe_text(account.address, nonce)
        response = client.post("/api/auth/login", json={"message": text, "signature": sign_text(account, text)})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


@pytest.fixture
def make_api(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tmp_path: Path
) -> Iterator[Callable[..., Api]]:
    """`make_api(escrow=None, **settings)`: the app on the test's (migrated) database."""

    def make(escrow: Contract | None = None, **settings: Any) -> Api:
        contracts = {}
        if escrow is not None:
            contracts["ChallengeEscrow"] = {
                "address": escrow.address, "block": 0, "tx": "0x", "bytecode_sha1": "", "abi": escrow.abi
            }  # fmt: skip
        deployments = tmp_path / "deployments.json"
        deployments.write_text(json.dumps({"chain_id": 1337, "genesis_hash": "0x" + "00" * 32, "contracts": contracts}))
        environment = {
            "database_url": database_url,
            "deployments_file": str(deployments),
            "siwe_domain": "app.crowdbounty.test",
            "siwe_uri": "https://app.crowdbounty.test",
            **{key: str(value) for key, value in settings.items()},
        }
        for key, value in environment.items():
            monkeypatch.setenv(f"CROWDBOUNTY_{key.upper()}", value)
        get_settings.cache_clear()
        return Api(create_app())

    yield make
    get_settings.cache_clear()


AGREEMENT = Web3.keccak(text="Crowdbounty challenge agreement v1")
ZERO_ADDRESS = "0x" + "00" * 20


def chain_time(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def create_challenge(
    escrows: Escrows, seeker: int = 0, *, submission_in_s: int = 7 * 86_400, evaluation_in_s: int = 14 * 86_400
) -> int:
    """A one-slot ETH IDEATION challenge (prize 1 ETH) of dev account `seeker`; its id."""
    w3 = escrows.w3
    now = chain_time(w3)
    terms = (
        0, ZERO_ADDRESS, [10**18], now + submission_in_s, now + submission_in_s + evaluation_in_s, AGREEMENT,
        b"\x01\x55\x12\x20" + bytes(32), Web3.keccak(b"metadata"), Web3.keccak(b"key"), ZERO_ADDRESS, 0, bytes(32),
    )  # fmt: skip
    tx = escrows.challenge.functions.createChallenge(terms).transact({"from": w3.eth.accounts[seeker], "value": 10**18})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    (created,) = escrows.challenge.events.ChallengeCreated().process_receipt(receipt)
    return int(created["args"]["challengeId"])


def transact(escrows: Escrows, sender: int, call: Any) -> Any:
    """Send `call` (a contract function call) from dev account `sender` and wait for it."""
    receipt = escrows.w3.eth.wait_for_transaction_receipt(call.transact({"from": escrows.w3.eth.accounts[sender]}))
    assert receipt["status"] == 1
    return receipt
