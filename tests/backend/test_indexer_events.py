from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from backend.models import ChainEvent, IndexedBlock
from backend.services.indexer import (
    ChainMismatchError,
    ConcurrentIndexerError,
    DecodedEvent,
    FollowedContract,
    Indexer,
    Projection,
)


def test_events_of_several_transactions_are_stored_exactly_once(harness: Any) -> None:
    txs = [
        harness.ping(amount=10**30, delta=-5, data=b"\x01\x02", note="hello"),
        harness.emit_many(5),
        harness.emit_many(3),
        harness.ping(amount=0, delta=2**255 - 1, data=b"", note="", sender=1),
    ]
    expected = harness.expected(txs)
    assert len(expected) == 10

    stats = harness.indexer().run_once()

    assert stats.events == 10
    assert stats.caught_up
    assert harness.events() == expected
    assert harness.cursor() == harness.head()
    pinged = expected[0]["args"]
    assert pinged["amount"] == str(10**30)
    assert pinged["delta"] == "-5"
    assert pinged["data"] == "0x0102"
    assert pinged["sender"] == harness.w3.eth.accounts[0]
    again = harness.indexer().run_once()
    assert again.events == 0
    assert harness.events() == expected


def test_the_hashes_of_event_blocks_and_of_the_cursor_block_are_stored(harness: Any) -> None:
    txs = [harness.emit_many(2), harness.ping()]
    harness.rpc("evm_mine")
    harness.indexer().run_once()
    with Session(harness.engine) as session:
        stored = {block.number: block.hash for block in session.scalars(select(IndexedBlock))}
    for number in [*(row["block_number"] for row in harness.expected(txs)), harness.head()]:
        assert stored[number] == "0x" + harness.w3.eth.get_block(number)["hash"].hex()


def test_handlers_run_in_chain_order_inside_the_indexing_transaction(harness: Any) -> None:
    txs = [harness.emit_many(3), harness.ping(note="x")]
    seen: list[tuple[str, str, int]] = []

    def on_event(session: Session, event: DecodedEvent) -> None:
        # The event's own row is already visible in the handler's session.
        assert session.scalar(select(func.count()).where(ChainEvent.tx_hash == event.tx_hash)) >= 1
        seen.append((event.event_name, str(event.args.get("index", event.args.get("note"))), event.log_index))

    projection = Projection("seen", {"IndexerProbe.Counted": on_event, "Pinged": on_event})
    harness.indexer(projections=[projection]).run_once()
    assert [name for name, _, _ in seen] == ["Counted", "Counted", "Counted", "Pinged"]
    assert [value for _, value, _ in seen] == ["0", "1", "2", "x"]
    assert len(harness.events()) == len(harness.expected(txs))


def test_a_failing_handler_rolls_back_the_events_and_the_cursor(harness: Any) -> None:
    harness.emit_many(2)

    def failing(_session: Session, _event: DecodedEvent) -> None:
        raise RuntimeError("projection bug")

    indexer = harness.indexer(projections=[Projection("buggy", {"Counted": failing})], initial_block_range=1000)
    with pytest.raises(RuntimeError, match="projection bug"):
        indexer.run_once()
    assert harness.events() == []
    assert harness.cursor() == harness.probe.block - 1


def test_blocks_within_the_confirmation_depth_wait(harness: Any) -> None:
    txs = [harness.emit_many(1) for _ in range(4)]
    expected = harness.expected(txs)

    stats = harness.indexer(confirmations=2).run_once()

    assert stats.safe_head == harness.head() - 2
    assert harness.cursor() == harness.head() - 2
    assert harness.events() == expected[:2]
    for _ in range(2):
        harness.rpc("evm_mine")
    harness.indexer(confirmations=2).run_once()
    assert harness.events() == expected


class RangeLimitedProvider(HTTPProvider):
    """A real node behind a provider that refuses eth_getLogs over more than `limit` blocks,
    the way hosted providers refuse too many results."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, exception_retry_configuration=None)
        self.limit = limit
        self.ranges: list[tuple[int, int, bool]] = []

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_getLogs":
            first, last = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
            refused = last - first + 1 > self.limit
            self.ranges.append((first, last, refused))
            if refused:
                return {
                    "jsonrpc": "2.0",
                    "id": 0,
                    "error": {"code": -32005, "message": "query returned more than 10000 results"},
                }
        return super().make_request(method, params)


def test_the_range_halves_on_errors_and_grows_back_when_healthy(harness: Any, running_chain: Any) -> None:
    txs = [harness.emit_many(2) for _ in range(12)]
    for _ in range(30):
        harness.rpc("evm_mine")
    provider = RangeLimitedProvider(running_chain.rpc_url, limit=3)

    stats = harness.indexer(Web3(provider), initial_block_range=16, max_block_range=64).run_once()

    assert harness.events() == harness.expected(txs)
    assert stats.shrinks >= 2
    assert all(last - first + 1 <= 3 for first, last, refused in provider.ranges if not refused)
    # Refused at 16, 8 and 4 blocks; 2 blocks pass (later ranges double to 4 and halve again).
    assert [last - first + 1 for first, last, _ in provider.ranges[:4]] == [16, 8, 4, 2]


def test_the_range_doubles_up_to_the_maximum(harness: Any) -> None:
    txs = [harness.emit_many(1) for _ in range(20)]
    indexer = harness.indexer(initial_block_range=1, max_block_range=8)
    stats = indexer.run_once()
    assert indexer.block_range == 8
    assert stats.ranges < 20
    assert harness.events() == harness.expected(txs)


def test_an_indexer_for_another_chain_refuses_to_start(harness: Any) -> None:
    contract = FollowedContract("IndexerProbe", harness.probe.address, harness.probe.abi, harness.probe.block)
    indexer = Indexer(harness.w3, harness.engine, [contract], expected_chain_id=1)
    with pytest.raises(ChainMismatchError, match="serves chain 1337, the contracts are on chain 1"):
        indexer.run_once()
    assert harness.events() == []


class InterleavingProvider(HTTPProvider):
    """Runs another indexer just before this one's first eth_getLogs reaches the node."""

    def __init__(self, url: str, other: Any) -> None:
        super().__init__(url, exception_retry_configuration=None)
        self.other = other

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_getLogs" and self.other is not None:
            other, self.other = self.other, None
            other.run_once()
        return super().make_request(method, params)


def test_a_second_indexer_on_the_same_stream_is_stopped_by_the_cursor(harness: Any, running_chain: Any) -> None:
    txs = [harness.emit_many(3)]
    late = harness.indexer(Web3(InterleavingProvider(running_chain.rpc_url, harness.indexer())))
    with pytest.raises(ConcurrentIndexerError, match="no longer at block"):
        late.run_once()
    assert harness.events() == harness.expected(txs)
