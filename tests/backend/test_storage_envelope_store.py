"""Envelopes through the real node: seal + add, fetch + verify + open, end to end."""

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from nacl.public import PrivateKey

from backend.services.storage.envelope import EnvelopeContext
from backend.services.storage.envelope_store import fetch_and_open, fetch_header, seal_and_upload
from backend.services.storage.errors import EnvelopeError, NotARecipientError
from backend.services.storage.ipfs import IpfsClient
from backend.services.storage.keys import derive_challenge_private_key
from backend.services.storage.queue import UploadQueue
from devstack.services import LocalIpfsNode

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CONTEXT = EnvelopeContext(chain_id=1337, contract=CONTRACT, challenge_id=3)
SOLVER = Account.from_key(b"\x11" * 32)
SEEKER = Account.from_key(b"\x12" * 32)
ARBITER_KEY = PrivateKey(b"\x13" * 32)
SEEKER_KEY = derive_challenge_private_key(SEEKER, CONTEXT.chain_id, CONTRACT, CONTEXT.challenge_id)


@pytest.fixture
def client(running_ipfs_node: LocalIpfsNode) -> Iterator[IpfsClient]:
    with IpfsClient(running_ipfs_node.api_url, fetch_timeout_s=2) as ipfs:
        yield ipfs


@pytest.fixture
def queue(client: IpfsClient, tmp_path: Path) -> UploadQueue:
    return UploadQueue(tmp_path / "queue", client)


def _sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while block := reader.read(1024 * 1024):
            digest.update(block)
    return digest.digest()


def test_submission_round_trip_for_seeker_and_arbiter(client: IpfsClient, queue: UploadQueue, tmp_path: Path) -> None:
    source = tmp_path / "solution.md"
    source.write_text("# My solution\n")
    sealed = seal_and_upload(
        [source],
        context=CONTEXT,
        recipients=[SEEKER_KEY.public_key, ARBITER_KEY.public_key],
        author=SOLVER,
        queue=queue,
    )
    assert not sealed.queued
    # The backend checks the author without any key.
    assert fetch_header(client, sealed.cid).author == SOLVER.address
    for name, key in (("seeker", SEEKER_KEY), ("arbiter", ARBITER_KEY)):
        opened = fetch_and_open(
            client,
            sealed.cid,
            tmp_path / name,
            private_key=key,
            expected=CONTEXT,
            expected_author=SOLVER.address,
        )
        assert opened.paths[0].read_text() == "# My solution\n"


def test_many_files_round_trip(client: IpfsClient, queue: UploadQueue, tmp_path: Path) -> None:
    sources = tmp_path / "in"
    sources.mkdir()
    paths = []
    for index in range(40):
        path = sources / f"part-{index:02d}.bin"
        path.write_bytes(os.urandom(index * 997))
        paths.append(path)
    sealed = seal_and_upload(paths, context=CONTEXT, recipients=[SEEKER_KEY.public_key], author=SOLVER, queue=queue)
    opened = fetch_and_open(client, sealed.cid, tmp_path / "out", private_key=SEEKER_KEY, expected=CONTEXT)
    assert [p.name for p in opened.paths] == [p.name for p in paths]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(opened.paths, paths, strict=True))


def test_room_document_for_every_accepted_solver(client: IpfsClient, queue: UploadQueue, tmp_path: Path) -> None:
    room = EnvelopeContext(chain_id=1337, contract=CONTRACT, challenge_id=3, kind="room-document")
    solver_keys = [PrivateKey.generate() for _ in range(3)]
    document = tmp_path / "spec.pdf"
    document.write_bytes(os.urandom(5000))
    sealed = seal_and_upload(
        [document], context=room, recipients=[k.public_key for k in solver_keys], author=SEEKER, queue=queue
    )
    for index, key in enumerate(solver_keys):
        opened = fetch_and_open(client, sealed.cid, tmp_path / f"s{index}", private_key=key, expected=room)
        assert opened.paths[0].read_bytes() == document.read_bytes()
    with pytest.raises(NotARecipientError):
        fetch_and_open(client, sealed.cid, tmp_path / "outsider", private_key=PrivateKey.generate(), expected=room)
    with pytest.raises(EnvelopeError):  # a room document is not a submission
        fetch_and_open(client, sealed.cid, tmp_path / "wrong-kind", private_key=solver_keys[0], expected=CONTEXT)


def test_copied_cid_names_its_true_author(client: IpfsClient, queue: UploadQueue, tmp_path: Path) -> None:
    source = tmp_path / "original.txt"
    source.write_text("original work")
    sealed = seal_and_upload([source], context=CONTEXT, recipients=[SEEKER_KEY.public_key], author=SOLVER, queue=queue)
    copier = Account.from_key(b"\x14" * 32)
    # A copier commits the same CID: the header still names (and was signed by) the solver.
    assert fetch_header(client, sealed.cid, expected=CONTEXT, expected_author=SOLVER.address).author == SOLVER.address
    with pytest.raises(EnvelopeError, match="written by"):
        fetch_header(client, sealed.cid, expected=CONTEXT, expected_author=copier.address)
    with pytest.raises(EnvelopeError, match="written by"):
        fetch_and_open(
            client,
            sealed.cid,
            tmp_path / "out",
            private_key=SEEKER_KEY,
            expected=CONTEXT,
            expected_author=copier.address,
        )


@pytest.mark.slow
def test_100_mb_file_round_trip_from_disk_to_disk(client: IpfsClient, queue: UploadQueue, tmp_path: Path) -> None:
    source = tmp_path / "dataset.bin"
    with source.open("wb") as out:
        for _ in range(100):
            out.write(os.urandom(1024 * 1024))
    sealed = seal_and_upload([source], context=CONTEXT, recipients=[SEEKER_KEY.public_key], author=SOLVER, queue=queue)
    assert sealed.size > 100 * 1024 * 1024
    opened = fetch_and_open(client, sealed.cid, tmp_path / "out", private_key=SEEKER_KEY, expected=CONTEXT)
    assert _sha256(opened.paths[0]) == _sha256(source) == sealed.header.content_sha256


def test_submission_sealed_while_node_is_down_is_queued_then_opens(
    running_ipfs_node: LocalIpfsNode, tmp_path: Path
) -> None:
    source = tmp_path / "late.txt"
    source.write_text("sealed offline")
    running_ipfs_node.stop()
    try:
        with IpfsClient(running_ipfs_node.api_url) as offline:
            sealed = seal_and_upload(
                [source],
                context=CONTEXT,
                recipients=[SEEKER_KEY.public_key],
                author=SOLVER,
                queue=UploadQueue(tmp_path / "queue", offline),
            )
        assert sealed.queued
    finally:
        running_ipfs_node.start()
    with IpfsClient(running_ipfs_node.api_url) as online:
        assert UploadQueue(tmp_path / "queue", online).deliver_pending().delivered == [sealed.cid]
        opened = fetch_and_open(online, sealed.cid, tmp_path / "out", private_key=SEEKER_KEY, expected=CONTEXT)
    assert opened.paths[0].read_text() == "sealed offline"
