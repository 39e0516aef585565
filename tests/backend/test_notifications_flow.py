"""Notifications from a real challenge flow: indexed by an Indexer running the projection,
listed and streamed (SSE, over a real uvicorn server) to the signed-in addresses, and
removed with their orphaned blocks on a reorg."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from conftest import AGREEMENT, Escrows, chain_time, create_challenge, dev_account, transact
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from web3 import Web3

from backend.models import Notification
from backend.services.indexer import PROJECTIONS, Indexer
from backend.services.notifications import notify, notify_deadlines

SEEKER, SOLO, IDLE, LEADER, MEMBER = 0, 1, 2, 3, 4
DAY = 86_400


def _indexer(w3: Web3, engine: Engine, escrows: Escrows) -> Indexer:
    return Indexer(w3, engine, escrows.followed(), projections=PROJECTIONS, expected_chain_id=1337)


def _rows(engine: Engine) -> list[tuple[str, str, dict[str, Any]]]:
    with Session(engine) as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        return [(row.kind, row.address, row.payload) for row in rows]


def _address(index: int) -> str:
    return dev_account(index).address


def _enter(escrows: Escrows, challenge_id: int) -> None:
    """SOLO and IDLE accept alone (SOLO submits); LEADER and MEMBER form a team that submits."""
    escrow, teams = escrows.challenge.functions, escrows.teams.functions
    for solver in (SOLO, IDLE, LEADER, MEMBER):
        transact(escrows, solver, escrow.acceptTerms(challenge_id, AGREEMENT))
    transact(escrows, SOLO, escrow.submit(challenge_id, b"solo-cid"))
    transact(escrows, LEADER, teams.createTeam(challenge_id, [_address(MEMBER)], 0, []))
    transact(escrows, MEMBER, teams.confirmMembership(1))
    transact(escrows, LEADER, escrow.submit(challenge_id, b"team-cid"))


def _to_evaluation(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def test_a_challenge_flow_notifies_seeker_entrants_team_and_deadlines(
    w3: Web3, engine: Engine, escrows: Escrows
) -> None:
    challenge_id = create_challenge(escrows, SEEKER, submission_in_s=3600, evaluation_in_s=3600)
    _enter(escrows, challenge_id)
    indexer = _indexer(w3, engine, escrows)
    indexer.run_once()
    seeker = _address(SEEKER)
    assert [(kind, address) for kind, address, _ in _rows(engine)] == [
        ("submission_received", seeker),
        ("submission_received", seeker),
    ]

    # Submission deadline within the window: only who accepted and has not submitted.
    with Session(engine) as session, session.begin():
        assert notify_deadlines(session, chain_time(w3), DAY) == 1
        assert notify_deadlines(session, chain_time(w3), DAY) == 0  # idempotent
    kind, address, payload = _rows(engine)[-1]
    assert (kind, address) == ("submission_deadline_near", _address(IDLE))
    assert payload["challenge_id"] == str(challenge_id)

    _to_evaluation(w3, 3601)
    escrow = escrows.challenge.functions
    transact(escrows, SEEKER, escrow.award(challenge_id, _address(SOLO), 0, 4 * 10**17))
    transact(escrows, SEEKER, escrow.award(challenge_id, _address(LEADER), 0, 6 * 10**17))
    transact(escrows, SEEKER, escrow.closeEvaluation(challenge_id))
    indexer.run_once()
    with Session(engine) as session, session.begin():
        assert notify_deadlines(session, chain_time(w3), DAY) == 0  # settled: nothing is due any more
    rows = _rows(engine)[3:]
    awards = [(address, payload["amount"]) for kind, address, payload in rows if kind == "award_granted"]
    assert awards == [
        (_address(SOLO), str(4 * 10**17)),
        (_address(LEADER), str(6 * 10**17)),
        (_address(MEMBER), str(6 * 10**17)),
    ]
    settled = sorted(address for kind, address, _ in rows if kind == "challenge_settled")
    assert settled == sorted(_address(index) for index in (SOLO, IDLE, LEADER, MEMBER))
    assert len(rows) == 3 + 4

    indexer.run_once()  # indexing again produces nothing twice
    assert len(_rows(engine)) == 3 + 3 + 4


def test_the_evaluation_deadline_near_is_told_to_the_seeker(w3: Web3, engine: Engine, escrows: Escrows) -> None:
    challenge_id = create_challenge(escrows, SEEKER, submission_in_s=600, evaluation_in_s=3600)
    transact(escrows, SOLO, escrows.challenge.functions.acceptTerms(challenge_id, AGREEMENT))
    _indexer(w3, engine, escrows).run_once()
    _to_evaluation(w3, 601)
    with Session(engine) as session, session.begin():
        assert notify_deadlines(session, chain_time(w3), 1800) == 0  # not within 30 minutes yet
        assert notify_deadlines(session, chain_time(w3), DAY) == 1
    assert [(kind, address) for kind, address, _ in _rows(engine)] == [("evaluation_deadline_near", _address(SEEKER))]


def test_notifications_of_orphaned_blocks_are_removed_on_reorg(w3: Web3, engine: Engine, escrows: Escrows) -> None:
    challenge_id = create_challenge(escrows, SEEKER, submission_in_s=3600)
    transact(escrows, SOLO, escrows.challenge.functions.acceptTerms(challenge_id, AGREEMENT))
    transact(escrows, IDLE, escrows.challenge.functions.acceptTerms(challenge_id, AGREEMENT))
    indexer = _indexer(w3, engine, escrows)
    indexer.run_once()
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    transact(escrows, SOLO, escrows.challenge.functions.submit(challenge_id, b"orphaned"))
    indexer.run_once()
    with Session(engine) as session, session.begin():
        notify_deadlines(session, chain_time(w3), DAY)
    assert sorted(kind for kind, _, _ in _rows(engine)) == ["submission_deadline_near", "submission_received"]

    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]
    for _ in range(3):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    stats = indexer.run_once()
    assert stats.rewinds == 1
    # The submission never happened on the canonical chain: its notification is gone; IDLE's
    # deadline notice stands on blocks that remain.
    assert [(kind, address) for kind, address, _ in _rows(engine)] == [("submission_deadline_near", _address(IDLE))]
    with Session(engine) as session, session.begin():
        assert notify_deadlines(session, chain_time(w3), DAY) == 1  # SOLO has not submitted after all
    assert sorted(address for _, address, _ in _rows(engine)) == sorted([_address(IDLE), _address(SOLO)])


# ---------------------------------------------------------------- the API


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serve(app: Any, **config: Any) -> Iterator[str]:
    """The app under a real uvicorn server in a thread (streams need a real HTTP connection)."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        assert not thread.is_alive()


def test_an_open_stream_ends_when_the_server_shuts_down(engine: Engine, make_api: Any) -> None:
    api = make_api(notifications_stream_poll_s=0.1)
    with api.client() as client:
        bearer = {"Authorization": f"Bearer {api.sign_in(client, dev_account(SOLO))}"}
    ended = threading.Event()
    with _serve(api.app, timeout_graceful_shutdown=1) as base:
        opened = threading.Event()

        def listen() -> None:
            with httpx.Client(base_url=base, headers=bearer, timeout=30) as http:
                try:
                    with http.stream("GET", "/api/notifications/stream") as response:
                        opened.set()
                        for _ in response.iter_lines():
                            pass
                except httpx.RemoteProtocolError:
                    pass  # the server cut the chunked body: what EventSource reconnects after
                ended.set()

        threading.Thread(target=listen, daemon=True).start()
        assert opened.wait(10)
        started = time.monotonic()
    # `_serve` asserted that the server stopped despite the open stream.
    assert ended.wait(5)
    assert time.monotonic() - started < 10


class _Events:
    """The notification events of an open SSE response, read as they come (comments skipped)."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()
        self.comments: list[str] = []

    def next(self, count: int) -> list[tuple[int, dict[str, Any]]]:
        events: list[tuple[int, dict[str, Any]]] = []
        fields: dict[str, str] = {}
        for line in self.lines:
            if line == "":
                if fields.get("event") == "notification":
                    events.append((int(fields["id"]), json.loads(fields["data"])))
                    if len(events) == count:
                        return events
                fields = {}
            elif line.startswith(":"):
                self.comments.append(line)
                if count == 0:
                    return events
            else:
                name, _, value = line.partition(": ")
                fields[name] = value
        raise AssertionError(f"the stream ended after {len(events)} of {count} events")


def test_notifications_are_listed_streamed_resumed_and_marked_read(
    w3: Web3, engine: Engine, escrows: Escrows, make_api: Any
) -> None:
    challenge_id = create_challenge(escrows, SEEKER, submission_in_s=3600)
    transact(escrows, SOLO, escrows.challenge.functions.acceptTerms(challenge_id, AGREEMENT))
    transact(escrows, SOLO, escrows.challenge.functions.submit(challenge_id, b"one"))
    transact(escrows, IDLE, escrows.challenge.functions.acceptTerms(challenge_id, AGREEMENT))
    transact(escrows, IDLE, escrows.challenge.functions.submit(challenge_id, b"two"))
    indexer = _indexer(w3, engine, escrows)
    indexer.run_once()
    api = make_api(escrows.challenge, notifications_stream_poll_s=0.1, notifications_stream_heartbeat_s=0.3)
    seeker = dev_account(SEEKER)
    with api.client() as client:
        token = api.sign_in(client, seeker)
        solo_token = api.sign_in(client, dev_account(SOLO))
        bearer = {"Authorization": f"Bearer {token}"}
        first = client.get("/api/notifications", params={"limit": 1}, headers=bearer).json()
        assert [item["payload"]["entrant"] for item in first["items"]] == [_address(IDLE)]  # newest first
        second = client.get("/api/notifications", params={"limit": 1, "cursor": first["next_cursor"]}, headers=bearer)
        assert [item["payload"]["entrant"] for item in second.json()["items"]] == [_address(SOLO)]
        assert second.json()["next_cursor"] is None
        solo_view = client.get("/api/notifications", headers={"Authorization": f"Bearer {solo_token}"}).json()
        assert solo_view["items"] == []  # nobody sees another address's notifications
        ids = sorted(item["id"] for item in client.get("/api/notifications", headers=bearer).json()["items"])

    with _serve(api.app) as base, httpx.Client(base_url=base, headers=bearer, timeout=10) as http:
        with http.stream("GET", "/api/notifications/stream", params={"after": 0}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = _Events(response)
            assert [event_id for event_id, _ in events.next(2)] == ids
            # A new notification (another process, like the indexer, writes it) arrives live.
            with Session(engine) as session, session.begin():
                notify(session, chain_id=1337, address=seeker.address, kind="test", payload={"n": 1}, dedupe_key="t1")
            ((live_id, live),) = events.next(1)
            assert live["kind"] == "test"
        # Resuming from Last-Event-ID replays exactly what followed it.
        resume = {"Last-Event-ID": str(ids[0])}
        with http.stream("GET", "/api/notifications/stream", headers=resume) as response:
            assert [event_id for event_id, _ in _Events(response).next(2)] == [ids[1], live_id]
        # Heartbeats keep an idle stream alive; logging out ends it.
        with http.stream("GET", "/api/notifications/stream") as response:
            idle = _Events(response)
            assert idle.next(0) == []
            assert idle.comments == [": heartbeat"]
            assert (
                httpx.post(f"{base}/api/auth/logout", headers={"Authorization": f"Bearer {solo_token}"}).status_code
                == 204
            )
            with http.stream(
                "GET", "/api/notifications/stream", headers={"Authorization": f"Bearer {solo_token}"}
            ) as gone:
                assert gone.status_code == 401
            assert http.post("/api/auth/logout").status_code == 204
            assert set(idle.lines) <= {": heartbeat", ""}  # then the stream ends
        bearer = {"Authorization": f"Bearer {api.sign_in(http, seeker)}"}
        http.headers.update(bearer)
        anonymous = httpx.get(f"{base}/api/notifications/stream", timeout=10)
        assert anonymous.status_code == 401

        marked = http.post("/api/notifications/read", json={"up_to_id": ids[1]})
        assert marked.json() == {"marked": 2}
        reads = {item["id"]: item["read"] for item in http.get("/api/notifications").json()["items"]}
        assert reads == {ids[0]: True, ids[1]: True, live_id: False}
