"""The two protobuf messages IPFS files are made of: dag-pb nodes and their UnixFS data.

No installed library decodes dag-pb, and the subset needed is small: varints and
length-delimited fields. Encoding follows the canonical form of `@ipld/dag-pb` and
`ipfs-unixfs` (links before data, empty link names written, block sizes not packed),
so nodes built here hash to the same CIDs as the node's.

    PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }
    PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
    UnixFS Data { Type = 1; Data = 2; filesize = 3; repeated blocksizes = 4; ... }
"""

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from multiformats import CID, varint

from backend.services.storage.errors import IntegrityError

_WIRE_VARINT = 0
_WIRE_FIXED64 = 1
_WIRE_BYTES = 2
_WIRE_FIXED32 = 5
_MAX_VARINT_BYTES = 10


class UnixFsType(IntEnum):
    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


@dataclass(frozen=True)
class PbLink:
    cid: CID
    name: str
    tsize: int | None


@dataclass(frozen=True)
class PbNode:
    links: list[PbLink]
    data: bytes | None


@dataclass(frozen=True)
class UnixFsData:
    type: UnixFsType
    data: bytes
    filesize: int | None
    blocksizes: list[int]


def _read_varint(buffer: memoryview, offset: int) -> tuple[int, int]:
    value = 0
    for index in range(_MAX_VARINT_BYTES):
        if offset + index >= len(buffer):
            raise IntegrityError("protobuf varint runs past the end of the block")
        byte = buffer[offset + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, offset + index + 1
    raise IntegrityError("protobuf varint is too long")


def _iter_fields(message: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value): ints for varints, bytes for length-delimited fields."""
    buffer = memoryview(message)
    offset = 0
    while offset < len(buffer):
        key, offset = _read_varint(buffer, offset)
        field_number, wire_type = key >> 3, key & 0x07
        if wire_type == _WIRE_VARINT:
            value, offset = _read_varint(buffer, offset)
            yield field_number, wire_type, value
        elif wire_type == _WIRE_BYTES:
            length, offset = _read_varint(buffer, offset)
            if offset + length > len(buffer):
                raise IntegrityError("protobuf field runs past the end of the block")
            yield field_number, wire_type, bytes(buffer[offset : offset + length])
            offset += length
        elif wire_type in (_WIRE_FIXED64, _WIRE_FIXED32):
            offset += 8 if wire_type == _WIRE_FIXED64 else 4
            if offset > len(buffer):
                raise IntegrityError("protobuf field runs past the end of the block")
        else:
            raise IntegrityError(f"unsupported protobuf wire type {wire_type}")


def _expect_bytes(value: int | bytes, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise IntegrityError(f"{what} must be length-delimited")
    return value


def _expect_int(value: int | bytes, what: str) -> int:
    if not isinstance(value, int):
        raise IntegrityError(f"{what} must be a varint")
    return value


def _decode_link(message: bytes) -> PbLink:
    cid: CID | None = None
    name = ""
    tsize: int | None = None
    for field_number, _, value in _iter_fields(message):
        if field_number == 1:
            try:
                cid = CID.decode(_expect_bytes(value, "link hash"))
            except (ValueError, KeyError) as error:
                raise IntegrityError(f"dag-pb link has an invalid CID: {error}") from error
        elif field_number == 2:
            name = _expect_bytes(value, "link name").decode("utf-8", errors="strict")
        elif field_number == 3:
            tsize = _expect_int(value, "link size")
    if cid is None:
        raise IntegrityError("dag-pb link has no hash")
    return PbLink(cid=cid, name=name, tsize=tsize)


def decode_node(block: bytes) -> PbNode:
    """Decode a dag-pb block; raises IntegrityError if it is not one."""
    links: list[PbLink] = []
    data: bytes | None = None
    try:
        for field_number, _, value in _iter_fields(block):
            if field_number == 2:
                links.append(_decode_link(_expect_bytes(value, "link")))
            elif field_number == 1:
                data = _expect_bytes(value, "node data")
            else:
                raise IntegrityError(f"dag-pb node has unknown field {field_number}")
    except UnicodeDecodeError as error:
        raise IntegrityError("dag-pb link name is not UTF-8") from error
    return PbNode(links=links, data=data)


def decode_unixfs(message: bytes) -> UnixFsData:
    """Decode the UnixFS data of a dag-pb node (block sizes packed or not)."""
    type_code: int | None = None
    data = b""
    filesize: int | None = None
    blocksizes: list[int] = []
    for field_number, wire_type, value in _iter_fields(message):
        if field_number == 1:
            type_code = _expect_int(value, "UnixFS type")
        elif field_number == 2:
            data = _expect_bytes(value, "UnixFS data")
        elif field_number == 3:
            filesize = _expect_int(value, "UnixFS filesize")
        elif field_number == 4 and wire_type == _WIRE_BYTES:
            packed = memoryview(_expect_bytes(value, "UnixFS blocksizes"))
            offset = 0
            while offset < len(packed):
                size, offset = _read_varint(packed, offset)
                blocksizes.append(size)
        elif field_number == 4:
            blocksizes.append(_expect_int(value, "UnixFS blocksize"))
    if type_code is None:
        raise IntegrityError("UnixFS data has no type")
    try:
        unixfs_type = UnixFsType(type_code)
    except ValueError as error:
        raise IntegrityError(f"unknown UnixFS type {type_code}") from error
    return UnixFsData(type=unixfs_type, data=data, filesize=filesize, blocksizes=blocksizes)


def _key(field_number: int, wire_type: int) -> bytes:
    return bytes(varint.encode((field_number << 3) | wire_type))


def _bytes_field(field_number: int, value: bytes) -> bytes:
    return _key(field_number, _WIRE_BYTES) + bytes(varint.encode(len(value))) + value


def _varint_field(field_number: int, value: int) -> bytes:
    return _key(field_number, _WIRE_VARINT) + bytes(varint.encode(value))


def encode_file_node(links: list[PbLink], blocksizes: list[int]) -> bytes:
    """A UnixFS file node without inline data: what the importer builds above raw leaves."""
    unixfs = (
        _varint_field(1, UnixFsType.FILE)
        + _varint_field(3, sum(blocksizes))
        + b"".join(_varint_field(4, size) for size in blocksizes)
    )
    encoded_links = b""
    for link in links:
        body = _bytes_field(1, bytes(link.cid)) + _bytes_field(2, link.name.encode())
        if link.tsize is not None:
            body += _varint_field(3, link.tsize)
        encoded_links += _bytes_field(2, body)
    return encoded_links + _bytes_field(1, unixfs)
