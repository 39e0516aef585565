"""Sign-In with Ethereum: nonce, login and session bodies."""

from datetime import datetime

from pydantic import BaseModel, Field

from backend.schemas.common import EthAddress, HexBytes


class NonceOut(BaseModel):
    """A single-use nonce and the values the SIWE message must carry to be accepted."""

    nonce: str
    expires_at: datetime
    domain: str
    uri: str
    chain_id: int
    version: str = "1"


class LoginIn(BaseModel):
    message: str = Field(max_length=4096, description="The EIP-4361 message, exactly as signed (LF line ends).")
    signature: HexBytes = Field(description="The EIP-191 personal_sign signature of `message` (65 bytes, 0x-hex).")


class SessionOut(BaseModel):
    """A session: send `token` as `Authorization: Bearer <token>`, or rely on the HttpOnly cookie."""

    address: EthAddress
    expires_at: datetime
    token: str


class MeOut(BaseModel):
    address: EthAddress
    expires_at: datetime
