"""Output schemas of the IPFS routes the web dApp publishes through."""

from pydantic import BaseModel, Field

from backend.schemas.common import Hex32, HexBytes


class AddedOut(BaseModel):
    """Content added to (and pinned on) the platform's IPFS node."""

    cid: str = Field(description="The CID as text (CIDv1, base32)")
    cid_bytes: HexBytes = Field(description="The binary CID as 0x-hex: what the contracts store")
    size: int = Field(description="Bytes of content")


class PublishedMetadataOut(AddedOut):
    """Canonical metadata published on IPFS, with the hash its creator commits to on chain."""

    metadata_hash: Hex32 = Field(description="keccak-256 of the canonical JSON (the contracts' `metadataHash`)")
