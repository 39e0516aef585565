"""Driving challenges on the real chain, indexing them, and reading the challenge tables back."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from multiformats import CID
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from web3 import Web3
from web3.logs import DISCARD

from backend.core.config import get_settings
from backend.main import create_app
from backend.models.challenges import (
    Challenge,
    ChallengeAcceptance,
    ChallengeAward,
    ChallengeContribution,
    ChallengeEventLink,
    ChallengeRefusal,
    ChallengeSubmission,
    ChallengeTeam,
    ChallengeTeamPayout,
)
from backend.services.challenges import PROJECTION
from backend.services.indexer import Indexer, IndexerConfig, RunStats
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.metadata import ChallengeMetadata, publish_metadata

DAY = 86_400
ETH = "0x" + "0" * 40
ZERO32 = b"\x00" * 32
AGREEMENT = keccak(text="Crowdbounty challenge agreement v1")
PUBLIC_KEY = keccak(text="seeker x25519 public key")
IDEATION, CONDITIONAL, RFP = 0, 1, 2
EQUAL, LEADER_HALF = 0, 1
CHILD_TABLES = (
    ChallengeContribution,
    ChallengeAcceptance,
    ChallengeSubmission,
    ChallengeAward,
    ChallengeRefusal,
    ChallengeTeam,
    ChallengeTeamPayout,
)


def sample_metadata(title: str = "Cheaper solar panel coatings", **changes: Any) -> ChallengeMetadata:
    fields: dict[str, Any] = {
        "title": title,
        "description": "Find a coating that keeps **photovoltaic** panels clean without water.",
        "challenge_type": "ideation",
        "prize_display": "4 ETH",
        "submission_deadline": 0,
        "review_deadline": 0,
        "agreement_cid": None,
        "tags": ["energy", "materials"],
    }
    fields.update(changes)
    return ChallengeMetadata(**fields)


class ChallengeChain:
    """Transactions on a fresh ChallengeEscrow (+ its ChallengeTeams) of the session's Ganache."""

    def __init__(self, w3: Web3, escrows: Any) -> None:
        self.w3 = w3
        self.escrows = escrows
        self.escrow = escrows.challenge
        self.teams = escrows.teams
        self.accounts = w3.eth.accounts

    def send(self, call: Any, sender: int = 0, value: int = 0) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(
            call.transact({"from": self.accounts[sender], "value": value})
        )
        assert receipt["status"] == 1
        return receipt

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def create(
        self,
        *,
        sender: int = 0,
        kind: int = IDEATION,
        slots: tuple[int, ...] = (10**18,),
        metadata_cid: bytes = b"\x01\x55\x12\x20" + bytes(32),
        metadata_hash: bytes = ZERO32,
        submission_period: int = 7 * DAY,
        token: str = ETH,
        arbiter: str = ETH,
        prior_art_commitment: bytes = ZERO32,
    ) -> int:
        submission_deadline = self.now() + submission_period
        terms = (
            kind,
            token,
            list(slots),
            submission_deadline,
            submission_deadline + 14 * DAY,
            AGREEMENT,
            metadata_cid,
            metadata_hash,
            PUBLIC_KEY,
            arbiter,
            0,
            prior_art_commitment,
        )
        value = sum(slots) if token == ETH else 0
        if token != ETH and sum(slots):
            self.send(self.escrows.token.functions.approve(self.escrow.address, sum(slots)), sender)
        receipt = self.send(self.escrow.functions.createChallenge(terms), sender, value)
        (created,) = self.escrow.events.ChallengeCreated().process_receipt(receipt, errors=DISCARD)
        return int(created["args"]["challengeId"])

    def create_with_metadata(self, ipfs: IpfsClient, metadata: ChallengeMetadata, **terms: Any) -> tuple[int, CID]:
        cid, hash_ = publish_metadata(ipfs, metadata)
        return self.create(metadata_cid=bytes(cid), metadata_hash=hash_, **terms), cid

    def accept(self, challenge_id: int, sender: int) -> Any:
        return self.send(self.escrow.functions.acceptTerms(challenge_id, AGREEMENT), sender)

    def submit(self, challenge_id: int, sender: int, cid: bytes) -> Any:
        return self.send(self.escrow.functions.submit(challenge_id, cid), sender)

    def pass_time(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def rpc(self, method: str, *params: Any) -> Any:
        response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in response, response
        return response["result"]


def indexer(w3: Web3, engine: Engine, escrows: Any) -> Indexer:
    return Indexer(
        w3, engine, escrows.followed(), config=IndexerConfig(), projections=[PROJECTION], expected_chain_id=1337
    )


def index(w3: Web3, engine: Engine, escrows: Any) -> RunStats:
    return indexer(w3, engine, escrows).run_once()


def snapshot_tables(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every challenge table's rows, without surrogate ids (a rebuild renumbers them): children
    name their challenge by its on-chain id; links by their event's position in the chain."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with Session(engine) as session:
        on_chain_id: dict[int, int] = dict(session.execute(select(Challenge.id, Challenge.challenge_id)).all())  # type: ignore[arg-type]
        challenges = session.scalars(select(Challenge).order_by(Challenge.challenge_id)).all()
        tables["challenges"] = [_row(challenge, on_chain_id) for challenge in challenges]
        for model in CHILD_TABLES:
            rows = [_row(row, on_chain_id) for row in session.scalars(select(model))]
            tables[model.__tablename__] = sorted(rows, key=repr)
        links = session.execute(
            select(ChallengeEventLink.challenge_pk, ChallengeEventLink.block_number, ChallengeEventLink.log_index)
        ).all()
        tables["challenge_event_links"] = sorted((on_chain_id[pk], block, log) for pk, block, log in links)  # type: ignore[misc]
    return tables


def _row(row: Any, on_chain_id: dict[int, int]) -> dict[str, Any]:
    values = {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key != "id"}
    if "challenge_pk" in values:
        values["challenge_pk"] = on_chain_id[values["challenge_pk"]]
    return values


@contextmanager
def api_client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The real app (create_app) on the test's database."""
    monkeypatch.setenv("CROWDBOUNTY_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            yield client
    finally:
        get_settings.cache_clear()
