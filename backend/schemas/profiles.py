"""Output schemas of `GET /api/profiles/{address}`: an address's record on both sides of
both markets, as the indexed history (and the backend's off-chain micro-task records) give it.

Amounts are per token, `{token address: decimal string}` (the zero address for ETH), and
list only tokens the address has history in; ratios are in [0, 1], null when nothing counts.
"""

from pydantic import BaseModel, Field

from backend.schemas.common import EthAddress

TokenAmounts = dict[str, str]


class SeekerStats(BaseModel):
    """The address as a seeker: the challenges it created and how it evaluated them."""

    challenges_created: int
    open: int
    settled: int
    cancelled: int
    funded: TokenAmounts = Field(description="Prize funding of its challenges (other contributors' included)")
    awarded: TokenAmounts = Field(description="Awards granted in its challenges (by it, or by the arbiter)")
    paid_ratio: dict[str, float] = Field(
        description="Over its settled challenges: paid to solvers (awards and default shares) / funded"
    )
    evaluated_on_time: int = Field(
        description="Settled by the seeker itself no later than the evaluation deadline (`closeEvaluation`)"
    )
    settled_by_default: int = Field(
        description="Settled otherwise: by someone else (arbiter, anyone) or after the evaluation deadline"
    )
    refunded_contributions: int = Field(description="Contributions to its challenges refunded (claimed)")
    refunded: TokenAmounts = Field(description="What those refunds paid back")
    refusals_made: int
    refusals_disputed: int
    refusals_overturned: int = Field(description="Refusals the dispute overturned (ruled, or left unruled)")


class SolverStats(BaseModel):
    """The address as a solver (or team leader / member) of challenges."""

    terms_accepted: int
    submissions: int
    awards_won: int = Field(description="AwardGranted events to it as the entrant")
    awarded: TokenAmounts
    default_shares: int = Field(description="Equal shares of a default settlement credited to it as the entrant")
    shares: TokenAmounts
    team_payouts: TokenAmounts = Field(description="Its parts of payouts to teams it belongs to")
    refusals_suffered: int
    disputes_won: int = Field(description="Refusals of it it disputed and that were overturned")
    disputes_lost: int = Field(description="Refusals of it it disputed and that were upheld")
    team_memberships: int = Field(description="Teams it leads or confirmed membership of, not disbanded")


class RequesterStats(BaseModel):
    """The address as a micro-task requester."""

    batches_funded: int
    batches_closed: int
    escrowed: TokenAmounts
    tasks_approved: int = Field(description="Off-chain approvals and on-chain approved results")
    tasks_rejected: int = Field(description="Off-chain rejections and on-chain rejections (whatever came of them)")
    rejections_overturned: int = Field(description="On-chain rejections a dispute turned into approvals")
    vouchers_issued: TokenAmounts = Field(description="Sum of the latest voucher per batch and worker")
    reclaimed: TokenAmounts = Field(description="Returned to it when it closed its batches")


class WorkerStats(BaseModel):
    """The address as a micro-task worker."""

    results_submitted: int = Field(description="Off-chain results and results posted on chain")
    results_approved: int
    results_rejected: int = Field(description="Off-chain rejections and on-chain rejections upheld")
    approval_rate: float | None = Field(description="approved / (approved + rejected); null before any review")
    auto_approvals: int = Field(description="On-chain results approved automatically after the review window")
    disputes_won: int
    disputes_lost: int
    redeemed: TokenAmounts = Field(description="Paid to it on chain (vouchers and settlement claims)")
    pending_vouchers: TokenAmounts = Field(
        description="Its latest vouchers minus what they already paid, on batches still open"
    )


class ProfileOut(BaseModel):
    """An address's two-sided reputation: every counter is zero for an address without history."""

    address: EthAddress
    seeker: SeekerStats
    solver: SolverStats
    requester: RequesterStats
    worker: WorkerStats
