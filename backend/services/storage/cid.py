"""CIDs computed locally, equal to the node's `add --cid-version=1 --raw-leaves --chunker=size-262144`.

Content up to one chunk is a single raw block (CID = raw codec + sha2-256). Larger
content is cut into 262,144-byte raw leaves joined by a balanced tree of UnixFS file
nodes with at most 174 links each, as js-ipfs's importer builds it. Only the leaves'
CIDs and sizes are kept, so memory does not grow with the chunk data.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from multiformats import CID, multihash

from backend.services.storage.dagpb import PbLink, encode_file_node

CHUNK_BYTES = 262_144
MAX_LINKS_PER_NODE = 174
HASH_FUNCTION = "sha2-256"


def raw_block_cid(block: bytes) -> CID:
    """The CIDv1 of a raw block (a whole small file, or one leaf of a large one)."""
    return CID("base32", 1, "raw", multihash.wrap(hashlib.sha256(block).digest(), HASH_FUNCTION))


def dag_pb_block_cid(block: bytes) -> CID:
    return CID("base32", 1, "dag-pb", multihash.wrap(hashlib.sha256(block).digest(), HASH_FUNCTION))


@dataclass(frozen=True)
class _TreeEntry:
    cid: CID
    file_size: int  # content bytes below this entry
    tree_size: int  # bytes of every block below and including this entry (the link's Tsize)


def _parent(children: list[_TreeEntry]) -> _TreeEntry:
    node = encode_file_node(
        [PbLink(cid=child.cid, name="", tsize=child.tree_size) for child in children],
        [child.file_size for child in children],
    )
    return _TreeEntry(
        cid=dag_pb_block_cid(node),
        file_size=sum(child.file_size for child in children),
        tree_size=len(node) + sum(child.tree_size for child in children),
    )


class UnixFsCidBuilder:
    """Feed content in any pieces with `update`, then read the file's CID with `cid()`."""

    def __init__(self) -> None:
        self._leaves: list[_TreeEntry] = []
        self._pending = bytearray()

    def update(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= CHUNK_BYTES:
            self._add_leaf(bytes(self._pending[:CHUNK_BYTES]))
            del self._pending[:CHUNK_BYTES]

    def _add_leaf(self, block: bytes) -> None:
        self._leaves.append(_TreeEntry(raw_block_cid(block), len(block), len(block)))

    def cid(self) -> CID:
        leaves = list(self._leaves)
        if self._pending or not leaves:
            last = bytes(self._pending)
            leaves.append(_TreeEntry(raw_block_cid(last), len(last), len(last)))
        layer = leaves
        while len(layer) > 1:
            layer = [
                _parent(layer[start : start + MAX_LINKS_PER_NODE]) for start in range(0, len(layer), MAX_LINKS_PER_NODE)
            ]
        return layer[0].cid


def stream_cid(reader: BinaryIO) -> CID:
    """The CID of everything `reader` yields, read one chunk at a time."""
    builder = UnixFsCidBuilder()
    while block := reader.read(CHUNK_BYTES):
        builder.update(block)
    return builder.cid()


def file_cid(path: Path) -> CID:
    with path.open("rb") as reader:
        return stream_cid(reader)


def bytes_cid(data: bytes) -> CID:
    builder = UnixFsCidBuilder()
    builder.update(data)
    return builder.cid()
