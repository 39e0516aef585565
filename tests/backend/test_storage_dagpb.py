"""The small dag-pb / UnixFS decoder: real node blocks, packed sizes, and hostile input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.services.storage.cid import CHUNK_BYTES, MAX_LINKS_PER_NODE, UnixFsCidBuilder, raw_block_cid
from backend.services.storage.dagpb import (
    PbLink,
    UnixFsType,
    decode_node,
    decode_unixfs,
    encode_file_node,
)
from backend.services.storage.errors import IntegrityError

# The root block js-ipfs 0.66 wrote for a 262,145-byte file (two raw leaves).
NODE_ROOT_HEX = (
    "122c0a2401551220" + "00" * 32 + "120018808010122a0a2401551220" + "11" * 32 + "120018010a0c080218818010208080102001"
)


def test_decodes_a_file_node_as_js_ipfs_writes_it() -> None:
    node = decode_node(bytes.fromhex(NODE_ROOT_HEX))
    assert [link.tsize for link in node.links] == [262_144, 1]
    assert [link.name for link in node.links] == ["", ""]
    assert all(link.cid.codec.name == "raw" for link in node.links)
    assert node.data is not None
    unixfs = decode_unixfs(node.data)
    assert unixfs.type is UnixFsType.FILE
    assert unixfs.filesize == 262_145
    assert unixfs.blocksizes == [262_144, 1]


def test_encoding_is_byte_identical_to_js_ipfs() -> None:
    node = decode_node(bytes.fromhex(NODE_ROOT_HEX))
    assert encode_file_node(node.links, [262_144, 1]).hex() == NODE_ROOT_HEX


def test_packed_block_sizes_are_accepted() -> None:
    packed = bytes([0x08, 0x02, 0x18, 0x05, 0x22, 0x02, 0x02, 0x03])
    assert decode_unixfs(packed).blocksizes == [2, 3]


@pytest.mark.parametrize(
    "block",
    [
        b"\x12",  # a link field with no length
        b"\x12\x05\x0a",  # a length past the end
        b"\x0a\x01",  # data field shorter than its length
        b"\xff" * 11,  # a varint that never ends
        b"\x1a\x00",  # unknown PBNode field 3
        b"\x13",  # wire type 3 (groups) is not supported
        b"\x12\x02\x18\x01",  # a link without a hash
        b"\x12\x04\x0a\x02\x01\x02",  # a link whose hash is not a CID
        b"\x08\x01",  # the Data field as a varint
    ],
)
def test_malformed_nodes_are_integrity_errors(block: bytes) -> None:
    with pytest.raises(IntegrityError):
        decode_node(block)


@pytest.mark.parametrize("message", [b"", b"\x08\x63", b"\x08"])
def test_malformed_unixfs_data_is_refused(message: bytes) -> None:
    with pytest.raises(IntegrityError):
        decode_unixfs(message)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_decoder_never_fails_with_anything_but_integrity_error(block: bytes) -> None:
    try:
        node = decode_node(block)
        if node.data is not None:
            decode_unixfs(node.data)
    except IntegrityError:
        pass


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=MAX_LINKS_PER_NODE))
def test_encoded_file_nodes_decode_to_the_same_links_and_sizes(sizes: list[int]) -> None:
    links = [PbLink(cid=raw_block_cid(str(i).encode()), name="", tsize=size) for i, size in enumerate(sizes)]
    node = decode_node(encode_file_node(links, sizes))
    assert node.links == links
    assert node.data is not None
    unixfs = decode_unixfs(node.data)
    assert unixfs.blocksizes == sizes
    assert unixfs.filesize == sum(sizes)


def test_builder_gives_the_same_cid_whatever_the_feeding_pieces() -> None:
    content = bytes(range(256)) * (3 * CHUNK_BYTES // 256 + 3)
    whole = UnixFsCidBuilder()
    whole.update(content)
    pieces = UnixFsCidBuilder()
    for start in range(0, len(content), 100_003):
        pieces.update(content[start : start + 100_003])
    assert whole.cid() == pieces.cid()
    assert whole.cid().codec.name == "dag-pb"
