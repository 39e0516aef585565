"""Project rooms: the seeker uploads; only the seeker and solvers whose acceptance of the
agreement is indexed from the chain may list and read; the content never leaves the database."""

import hashlib
import os
from typing import Any

from conftest import AGREEMENT, Escrows, create_challenge, dev_account, transact
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from web3 import Web3

from backend.models import RoomDocument
from backend.services.indexer import PROJECTIONS, Indexer

SEEKER, SOLVER, STRANGER = 0, 1, 2


def _index(w3: Web3, engine: Engine, escrows: Escrows) -> None:
    Indexer(w3, engine, escrows.followed(), projections=PROJECTIONS, expected_chain_id=1337).run_once()


def test_the_room_is_refused_without_acceptance_and_served_after_it(
    w3: Web3, engine: Engine, escrows: Escrows, make_api: Any
) -> None:
    challenge_id = create_challenge(escrows, SEEKER)
    _index(w3, engine, escrows)
    api = make_api(escrows.challenge, room_max_document_bytes=64 * 1024)
    content = os.urandom(40_000) + b"\r\n--boundary-like\r\n"
    room = f"/api/challenges/{challenge_id}/room"
    with api.client() as client:
        assert client.get(room).status_code == 401
        seeker = {"Authorization": f"Bearer {api.sign_in(client, dev_account(SEEKER))}"}
        solver = {"Authorization": f"Bearer {api.sign_in(client, dev_account(SOLVER))}"}
        stranger = {"Authorization": f"Bearer {api.sign_in(client, dev_account(STRANGER))}"}

        upload = client.post(
            f"{room}/documents", headers=seeker, files={"file": ("../specs/brief v1.pdf", content, "application/pdf")}
        )
        assert upload.status_code == 201, upload.text
        document = upload.json()
        assert document["filename"] == "brief v1.pdf"
        assert document["size"] == len(content)
        assert document["sha256"] == hashlib.sha256(content).hexdigest()
        assert document["uploaded_by"] == dev_account(SEEKER).address

        too_big = client.post(f"{room}/documents", headers=seeker, files={"file": ("big.bin", os.urandom(65 * 1024))})
        assert too_big.status_code == 413
        by_solver = client.post(f"{room}/documents", headers=solver, files={"file": ("x.txt", b"x")})
        assert by_solver.status_code == 403
        assert "only the seeker" in by_solver.json()["detail"]

        document_url = f"{room}/documents/{document['id']}"
        for headers in (solver, stranger):
            for url in (room, document_url):
                refused = client.get(url, headers=headers)
                assert refused.status_code == 403
                assert "accepted its agreement on chain" in refused.json()["detail"]

        transact(escrows, SOLVER, escrows.challenge.functions.acceptTerms(challenge_id, AGREEMENT))
        assert client.get(room, headers=solver).status_code == 403  # not indexed yet
        _index(w3, engine, escrows)
        for headers in (seeker, solver):
            listing = client.get(room, headers=headers)
            assert listing.status_code == 200
            assert listing.json()["seeker"] == dev_account(SEEKER).address
            assert [item["id"] for item in listing.json()["documents"]] == [document["id"]]
            served = client.get(document_url, headers=headers)
            assert served.status_code == 200
            assert served.content == content
            assert served.headers["content-type"] == "application/pdf"
            assert served.headers["content-disposition"].startswith("attachment;")
        assert client.get(room, headers=stranger).status_code == 403
        assert client.get(f"{room}/documents/{document['id'] + 1}", headers=seeker).status_code == 404
        assert client.get(f"/api/challenges/{challenge_id + 1}/room", headers=seeker).status_code == 404

    with Session(engine) as session:
        assert session.scalars(select(RoomDocument.content)).all() == [content]
