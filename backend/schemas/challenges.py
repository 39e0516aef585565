"""Input and output schemas of the challenge routes.

Amounts are decimal strings (uint256 exceeds JSON's safe integers); times are Unix seconds.
Metadata fields are only ever filled from metadata whose hash matched the chain's:
`metadata_status` says whether it did ("verified"), did not ("mismatch"), or is not known yet
("pending", "unavailable").
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.schemas.common import EthAddress, PageLimit, TokenAmount

ChallengeKind = Literal["ideation", "conditional", "rfp"]
ChallengeState = Literal["open", "cancelled", "settled"]
MetadataStatus = Literal["pending", "verified", "mismatch", "unavailable"]
SubmissionStatus = Literal["submitted", "selected", "refused", "disputed", "overturned"]
SplitRule = Literal["equal", "leader_half"]
ChallengeSort = Literal["newest", "deadline", "prize"]


class ChallengeListIn(BaseModel):
    """Filters, sort and page of `GET /api/challenges` (all optional, combined with AND)."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        None, min_length=1, max_length=200, description="Full-text search of title, description, tags"
    )
    status: ChallengeState | None = None
    type: ChallengeKind | None = Field(None, description="The on-chain challenge type")
    token: EthAddress | None = Field(None, description="Prize token; the zero address for ETH")
    seeker: EthAddress | None = None
    min_prize: TokenAmount | None = Field(None, description="Least total funding, in the token's smallest unit")
    max_prize: TokenAmount | None = Field(None, description="Largest total funding, in the token's smallest unit")
    deadline_after: int | None = Field(None, ge=0, lt=2**63, description="Submission deadline after (Unix seconds)")
    deadline_before: int | None = Field(None, ge=0, lt=2**63, description="Submission deadline before (Unix seconds)")
    sort: ChallengeSort = Field(
        "newest", description="newest first, nearest submission deadline first, or largest prize first"
    )
    limit: PageLimit = 20
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page")


class PageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: PageLimit = 50
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page")


class ChallengeSummaryOut(BaseModel):
    """A challenge as lists show it."""

    challenge_id: int
    chain_id: int
    seeker: str
    kind: ChallengeKind
    token: str
    funded: TokenAmount
    awarded: TokenAmount
    state: ChallengeState
    submission_deadline: int
    evaluation_deadline: int
    created_at: int
    created_block: int
    acceptance_count: int
    submission_count: int
    metadata_status: MetadataStatus
    title: str | None = None
    challenge_type: str | None = None
    tags: list[str] | None = None
    description_snippet: str | None = None


class ChallengeMetadataOut(BaseModel):
    """The verified metadata document."""

    title: str
    description: str
    challenge_type: str
    prize_display: str
    submission_deadline: int
    review_deadline: int
    agreement_cid: str | None
    tags: list[str]
    attachments: list[str]
    seeker_display_name: str | None


class SlotOut(BaseModel):
    """An award slot: slot 0 is the top award and holds every contribution."""

    slot: int
    amount: TokenAmount
    awarded: TokenAmount
    remaining: TokenAmount


class ContributionOut(BaseModel):
    contributor: str
    amount: TokenAmount
    refunded: bool
    refund_amount: TokenAmount | None


class AwardOut(BaseModel):
    entrant: str
    slot: int
    amount: TokenAmount
    grantor: str
    awarded_at: int
    tx_hash: str


class RefusalOut(BaseModel):
    entrant: str
    reason: Literal["criteria_unmet", "prior_knowledge"]
    fee: TokenAmount
    refused_at: int
    dispute_deadline: int
    disputed_at: int | None
    ruling_deadline: int | None
    resolved_at: int | None
    overturned: bool | None
    by_arbiter: bool | None


class OutcomeOut(BaseModel):
    """How the challenge left Open."""

    closed_at: int
    settled_by: str | None
    share_pool: TokenAmount | None
    share_count: int | None
    refund_pool: TokenAmount | None
    licence_expiry: int | None


class TeamMemberOut(BaseModel):
    address: str
    confirmed: bool
    leader_bps: int | None = Field(None, description="LeaderHalf: this member's part of the allocated half")


class SplitProposalOut(BaseModel):
    nonce: int
    rule: SplitRule
    leader_bps: list[int]
    approved_by: list[str]


class TeamOut(BaseModel):
    team_id: int
    challenge_id: int
    leader: str
    members: list[TeamMemberOut]
    fully_confirmed: bool
    split_rule: SplitRule
    proposal: SplitProposalOut | None
    disbanded: bool
    created_at: int


class ChallengeDetailOut(ChallengeSummaryOut):
    """A challenge's chain state, its verified metadata, money and teams."""

    escrow_address: str
    agreement_hash: str
    encryption_public_key: str
    arbiter: str | None
    licence_days: int
    prior_art_committed: bool
    metadata_cid: str
    metadata_hash: str
    metadata: ChallengeMetadataOut | None
    outcome: OutcomeOut | None
    slots: list[SlotOut]
    contributions: list[ContributionOut]
    awards: list[AwardOut]
    refusals: list[RefusalOut]
    teams: list[TeamOut]


class SubmissionOut(BaseModel):
    """A committed submission: who, when, where it stands; never its content."""

    entrant: str
    team_id: int | None
    cid: str
    cid_hash: str
    submitted_at: int
    arrival: int = Field(description="1 for the challenge's first submission")
    status: SubmissionStatus
    awarded: TokenAmount


class TimelineEventOut(BaseModel):
    """One chain event of the challenge (or of its teams), in chain order."""

    contract: str
    event: str
    block_number: int
    block_timestamp: int | None
    tx_hash: str
    log_index: int
    args: dict[str, Any]


class ErrorOut(BaseModel):
    """An error response: one line saying what was wrong."""

    detail: str
