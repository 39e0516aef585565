"""Output schema of GET /api/config: what the web dApp needs to talk to the chain."""

from typing import Any

from pydantic import BaseModel, Field


class ContractOut(BaseModel):
    address: str
    abi: list[dict[str, Any]]


class TypedDataOut(BaseModel):
    """The micro-task EIP-712 domains and types (backend/services/microtasks/typed_data.py)."""

    escrow_domain: dict[str, Any] = Field(description="The contract's domain: vouchers and qualifications")
    offchain_domain: dict[str, Any] = Field(description="The backend's domain: claims, results and reviews")
    types: dict[str, list[dict[str, str]]]


class ConfigOut(BaseModel):
    chain_id: int = Field(description="The chain the contracts are on; the dApp refuses any other")
    contracts: dict[str, ContractOut]
    microtask_typed_data: TypedDataOut
