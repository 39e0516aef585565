"""Decoding raw logs with the contracts' ABIs (eth-abi), into JSON-ready arguments."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import decode
from eth_typing import ABIEvent
from eth_utils.abi import collapse_if_tuple, event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from eth_utils.hexadecimal import encode_hex

# Indexed arguments of these kinds are stored as the keccak hash of their value.
_HASHED_WHEN_INDEXED = ("string", "bytes", "tuple")

JsonValue = str | bool | list["JsonValue"] | dict[str, "JsonValue"]


@dataclass(frozen=True)
class FollowedContract:
    """A contract whose events the indexer follows, from the block it was deployed in."""

    name: str
    address: str
    abi: Sequence[Mapping[str, Any]]
    start_block: int = 0


@dataclass(frozen=True)
class DecodedEvent:
    """One log of a followed contract, decoded; `args` is JSON-ready (see `ChainEvent`)."""

    chain_id: int
    contract_name: str
    contract_address: str
    event_name: str
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    args: dict[str, JsonValue]
    # The block's time (Unix seconds); logs do not carry it, the indexer adds it from the header.
    block_timestamp: int | None = None


def to_json(value: Any, abi_type: Mapping[str, Any]) -> JsonValue:
    """An ABI value as JSON: integers as decimal strings, bytes as 0x-hex, structs as objects."""
    type_name: str = abi_type["type"]
    if type_name.endswith("]"):
        element = {**abi_type, "type": type_name[: type_name.rindex("[")]}
        return [to_json(item, element) for item in value]
    if type_name == "tuple":
        components = abi_type.get("components", [])
        return {
            component.get("name") or str(position): to_json(item, component)
            for position, (component, item) in enumerate(zip(components, value, strict=True))
        }
    return _scalar_to_json(value, type_name)


def _scalar_to_json(value: Any, type_name: str) -> JsonValue:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return encode_hex(value)
    return to_checksum_address(value) if type_name == "address" else str(value)


@dataclass(frozen=True)
class _EventAbi:
    contract_name: str
    name: str
    abi: Mapping[str, Any]

    def args(self, topics: Sequence[str], data: str) -> dict[str, JsonValue]:
        inputs: list[Mapping[str, Any]] = list(self.abi.get("inputs", []))
        indexed = [item for item in inputs if item.get("indexed")]
        plain = [item for item in inputs if not item.get("indexed")]
        values: dict[str, JsonValue] = {}
        for item, topic in zip(indexed, topics[1:], strict=True):
            if item["type"].startswith(_HASHED_WHEN_INDEXED) or item["type"].endswith("]"):
                values[item["name"]] = topic.lower()
            else:
                (value,) = decode([collapse_if_tuple(dict(item))], bytes.fromhex(topic[2:]))
                values[item["name"]] = to_json(value, item)
        decoded = decode([collapse_if_tuple(dict(item)) for item in plain], bytes.fromhex(data[2:]))
        for position, (item, value) in enumerate(zip(plain, decoded, strict=True)):
            values[item.get("name") or str(position)] = to_json(value, item)
        return values


class LogDecoder:
    """Decodes raw `eth_getLogs` entries of the followed contracts (anonymous events are skipped)."""

    def __init__(self, contracts: Iterable[FollowedContract]) -> None:
        self._events: dict[tuple[str, str], _EventAbi] = {}
        self._names: dict[str, str] = {}
        for contract in contracts:
            address = contract.address.lower()
            self._names[address] = contract.name
            for entry in contract.abi:
                if entry.get("type") == "event" and not entry.get("anonymous"):
                    topic = encode_hex(event_abi_to_log_topic(cast(ABIEvent, entry)))
                    self._events[address, topic] = _EventAbi(contract.name, entry["name"], entry)

    @property
    def addresses(self) -> list[str]:
        return [to_checksum_address(address) for address in self._names]

    def decode(self, chain_id: int, log: Mapping[str, Any]) -> DecodedEvent | None:
        """The event of a raw log, or None for a log no ABI event describes."""
        topics: list[str] = log["topics"]
        if not topics:
            return None
        address = log["address"].lower()
        event = self._events.get((address, topics[0].lower()))
        if event is None:
            return None
        return DecodedEvent(
            chain_id=chain_id,
            contract_name=event.contract_name,
            contract_address=to_checksum_address(address),
            event_name=event.name,
            block_number=int(log["blockNumber"], 16),
            block_hash=log["blockHash"].lower(),
            tx_hash=log["transactionHash"].lower(),
            tx_index=int(log["transactionIndex"], 16),
            log_index=int(log["logIndex"], 16),
            args=event.args(topics, log["data"]),
        )
