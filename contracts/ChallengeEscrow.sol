// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {EscrowFunds} from "./utils/EscrowFunds.sol";
import {ChallengeTeams, IChallengeTeamsHost} from "./challenge/ChallengeTeams.sol";

/**
 * @title ChallengeEscrow
 * @notice Escrow for Crowdbounty challenges (InnoCentive-style): a seeker funds a prize
 * split into award slots, solvers accept the agreement on chain, submit encrypted work
 * before a deadline, and the seeker awards it before an evaluation deadline. Every state
 * that holds money has a deadline after which anyone can move it on; money leaves only
 * through pull payments: `withdrawAward` for what a solo entrant won (awards and its
 * default share, held in its entry), `withdraw` for credited balances (refunds, deposits,
 * team members' payouts).
 * @dev States: Open -> Cancelled (seeker, before anyone accepted the terms) or
 * Open -> Settled (seeker or arbiter close, or anyone after the deadlines). Within Open
 * the clock gives the phase: submission (<= submissionDeadline), evaluation
 * (<= evaluationDeadline), arbiter default decision (<= evaluationDeadline +
 * ARBITER_DECISION_PERIOD, only with an arbiter), then default settlement by anyone.
 *
 * Default outcome (settle after the deadlines): the awards already granted stand; what is
 * left of the prize is split in equal shares among the eligible submissions (submitted
 * on time and not validly refused), each claimed separately (no loop); if there is no
 * eligible submission it is refunded to the contributors pro rata. IDEATION submissions
 * can only be refused on revealed prior knowledge, so the prize is always paid when there
 * is a submission; a CONDITIONAL seeker who does not declare the criteria unmet for a
 * submission before the evaluation deadline is taken to have accepted it.
 *
 * Refusals with an arbiter (ERC-792-like): the seeker and then the disputing solver each
 * deposit ARBITRATION_FEE_BPS (3 %) of the funding; the loser's deposit pays the arbiter,
 * the winner's is returned. Undisputed within DISPUTE_WINDOW the refusal is final; unruled
 * within RULING_PERIOD it is overturned and both deposits return. Without an arbiter a
 * refusal is final at once.
 *
 * Contributions from anyone raise slot 0 (the top award). Fee-on-transfer tokens are
 * refused: an intake that delivers less than asked reverts, so slot amounts stay exact.
 */
contract ChallengeEscrow is EscrowFunds, IChallengeTeamsHost {
    // ---------------------------------------------------------------- types

    /// @notice IDEATION pays whenever there is a submission; CONDITIONAL only if criteria are met;
    /// RFP has no cash prize, the seeker only selects proposals.
    enum ChallengeType {
        Ideation,
        Conditional,
        Rfp
    }

    /// @notice Stored life cycle of a challenge (phases inside Open follow the clock).
    enum ChallengeState {
        None,
        Open,
        Cancelled,
        Settled
    }

    /// @notice Where an entrant (a solver, or a team's leader) stands in a challenge.
    enum EntryStatus {
        None,
        Accepted,
        Submitted,
        Selected,
        Refused,
        Disputed,
        Overturned
    }

    /// @notice Why the seeker refused to pay a submission.
    enum RefusalReason {
        CriteriaUnmet,
        PriorKnowledge
    }

    /// @notice Everything a seeker fixes when creating a challenge.
    /// @dev A struct keeps the creation call and its event below the stack limit.
    struct ChallengeTerms {
        ChallengeType kind;
        address token;
        uint256[] slotAmounts;
        uint64 submissionDeadline;
        uint64 evaluationDeadline;
        bytes32 agreementHash;
        bytes metadataCid;
        bytes32 metadataHash;
        bytes32 encryptionPublicKey;
        address arbiter;
        uint16 licenceDays;
        bytes32 priorArtCommitment;
    }

    /// @notice A challenge as `getChallenge` returns it (decoded from its packed `Record`).
    struct Challenge {
        address seeker;
        ChallengeState state;
        bool termsFrozen; // someone accepted the agreement
        uint16 eligibleCount; // submitted and not (validly) refused; at most 65,535
        uint64 submissionDeadline;
        address token;
        uint64 evaluationDeadline;
        ChallengeType kind;
        uint16 licenceDays;
        address arbiter;
        uint32 openRefusals; // refusals whose dispute window or dispute is still open
        uint32 otherContributors; // contributors besides the seeker
        uint120 funded;
        uint120 awarded;
        uint8 extraSlots; // award slots beyond slot 0
        bytes32 agreementHash;
        bytes32 priorArtCommitment;
    }

    /// @dev gas: two slots written at creation for a one-slot ETH challenge without arbiter,
    /// with the default licence, under a registered agreement (three under its own agreement); metadata, public key
    /// and slot amounts live in the creation event only. Slots that stay zero for such a
    /// challenge are never written.
    struct Record {
        // slot 0: everything acceptTerms and submit touch, so they read and write one slot
        address seeker;
        uint40 submissionDeadline;
        uint24 evaluationPeriod; // evaluation deadline minus submission deadline (<= 180 days)
        uint16 eligibleCount; // submitted and not (validly) refused; at most 65,535
        ChallengeState state;
        // bit 0: someone accepted the agreement; bit 1: slot 3 holds the token;
        // bits 2-3: the ChallengeType; bits 4-7: award slots beyond slot 0 (at most 15)
        uint8 flags;
        // slot 1: the money, plus what award needs besides slot 0
        uint120 funded;
        uint120 awarded;
        uint16 agreementId; // index in the agreement registry; 0: the hash is in slot 2
        // slot 2 (only written for an agreement that is not registered)
        bytes32 agreementHash;
        // slot 3 (zero, never written, for an ETH challenge with the default licence)
        address token;
        uint16 licenceDays; // 0 stands for DEFAULT_LICENCE_DAYS
        // slot 4 (zero for a plain challenge, so never written at creation)
        address arbiter;
        uint32 openRefusals; // refusals whose dispute window or dispute is still open
        uint32 otherContributors; // contributors besides the seeker
        // slot 5 (only written when non-zero)
        bytes32 priorArtCommitment;
    }

    /// @dev Written once, when the challenge leaves Open.
    struct Outcome {
        uint128 sharePool;
        uint64 settledAt;
        uint32 shareCount;
        uint32 sharesClaimed;
        uint128 refundPool;
        uint128 sharesPaid;
        uint128 refundsPaid;
        uint32 refundsClaimed;
    }

    /// @dev gas: one slot per entrant, written by acceptTerms and updated by submit and award,
    /// so neither a submission nor a solo entrant's award adds a slot: the award is held here
    /// (`awardOwed`) until `withdrawAward` instead of being credited to a fresh balance slot
    /// (~20k saved per winner). The submission's CID and its keccak-256 are in SubmissionCommitted.
    struct Entry {
        uint40 acceptedAt;
        uint40 submittedAt;
        EntryStatus status;
        uint32 teamId;
        bool shareClaimed;
        uint120 awardOwed; // a solo entrant's awards and share not yet withdrawn (a team's go to its members)
    }

    struct Refusal {
        uint128 fee;
        uint64 deadline; // end of the dispute window, then of the ruling period
        RefusalReason reason;
        bool resolved;
    }

    struct Contribution {
        uint128 amount; // zero for the seeker, whose share is funded minus the others'
        bool refunded;
    }

    // ---------------------------------------------------------------- constants

    /// @notice Licence period used when a challenge is created with 0 days.
    uint16 public constant DEFAULT_LICENCE_DAYS = 90;
    /// @notice Largest number of award slots.
    uint256 public constant MAX_SLOTS = 16;
    /// @notice Longest evaluation period (evaluation deadline minus submission deadline), so that
    /// extending deadlines can never hold the prize indefinitely.
    uint64 public constant MAX_EVALUATION_PERIOD = 180 days;
    /// @notice Time after a refusal in which the solver may dispute it.
    uint64 public constant DISPUTE_WINDOW = 7 days;
    /// @notice Time the arbiter has to rule on a dispute.
    uint64 public constant RULING_PERIOD = 14 days;
    /// @notice Time after the evaluation deadline in which the arbiter may decide the awards.
    uint64 public constant ARBITER_DECISION_PERIOD = 14 days;
    /// @notice Each side's arbitration deposit, in basis points of the challenge's funding.
    uint256 public constant ARBITRATION_FEE_BPS = 300;
    uint256 private constant BPS = 10_000;

    uint8 private constant FLAG_FROZEN = 1;
    uint8 private constant FLAG_TOKEN = 2;
    uint8 private constant KIND_SHIFT = 2;
    uint8 private constant EXTRA_SLOTS_SHIFT = 4;

    // ---------------------------------------------------------------- storage

    /// @notice The periphery contract holding teams and their payout splits.
    ChallengeTeams public immutable teams;
    // gas: the challenge counter, the ETH liabilities and the reentrancy lock share one slot,
    // which an ETH challenge's creation and an ETH withdrawal write anyway, so the lock costs
    // them ~0.6k instead of ~2.3k for a lock in its own slot (ETH in existence is far below 2^128).
    uint128 private _ethOwed;
    uint104 private _challengeCount;
    uint8 private _reentrancyStatus; // NOT_ENTERED or ENTERED
    uint16 private _agreementCount;
    // gas: agreements used by many challenges (typically the platform's standard terms) are
    // registered once with `registerAgreement`, so that each challenge under them stores a
    // 16-bit index instead of a fresh 32-byte slot.
    mapping(bytes32 agreementHash => uint16 id) private _agreementIds;
    mapping(uint16 id => bytes32 agreementHash) private _agreementHashes;
    mapping(address token => uint256 amount) private _tokenOwed;

    mapping(uint256 challengeId => Record) private _challenges;
    mapping(uint256 challengeId => Outcome) private _outcomes;
    mapping(uint256 challengeId => mapping(uint256 slot => uint128 amount)) private _extraSlotRemaining;
    mapping(uint256 challengeId => uint128 amount) private _extraSlotsTotal;
    mapping(uint256 challengeId => uint128 amount) private _othersContributed;
    mapping(uint256 challengeId => mapping(address entrant => Entry)) private _entries;
    mapping(uint256 challengeId => mapping(address entrant => Refusal)) private _refusals;
    mapping(uint256 challengeId => mapping(address contributor => Contribution)) private _contributions;

    // ---------------------------------------------------------------- errors

    /// @notice No challenge has that id.
    error UnknownChallenge(uint256 challengeId);
    /// @notice The challenge is not in the state the call needs.
    error WrongState(uint256 challengeId, ChallengeState state);
    /// @notice The caller is not the seeker of the challenge.
    error NotSeeker(uint256 challengeId, address caller);
    /// @notice The caller is not the challenge's arbiter.
    error NotArbiter(uint256 challengeId, address caller);
    /// @notice The deadline for this action has passed.
    error DeadlinePassed(uint256 challengeId, uint64 deadline);
    /// @notice The action is only possible after this deadline.
    error DeadlineNotReached(uint256 challengeId, uint64 deadline);
    /// @notice Deadlines must lie in the future, evaluation after submission and at most
    /// MAX_EVALUATION_PERIOD after it.
    error InvalidDeadlines(uint64 submissionDeadline, uint64 evaluationDeadline);
    /// @notice The seeker cannot arbitrate its own challenge.
    error InvalidArbiter(address arbiter);
    /// @notice A cash challenge needs 1..MAX_SLOTS positive slots; an RFP none.
    error InvalidSlots(uint256 count);
    /// @notice Amount zero, or too large for the escrow's uint128 bookkeeping.
    error InvalidAmount(uint256 amount);
    /// @notice The token delivered less than was transferred (fee-on-transfer tokens are refused).
    error FeeOnTransferNotSupported(address token, uint256 expected, uint256 received);
    /// @notice RFPs carry no prize.
    error NoCashPrize(uint256 challengeId);
    /// @notice Someone accepted the terms: the seeker can no longer cancel or shorten.
    error TermsFrozen(uint256 challengeId);
    /// @notice Deadlines may only move later.
    error DeadlineShortened(uint64 current, uint64 proposed);
    /// @notice The agreement hash does not match the challenge's.
    error AgreementMismatch(uint256 challengeId, bytes32 expected, bytes32 given);
    /// @notice The agreement hash is zero.
    error EmptyAgreement();
    /// @notice The agreement is already registered under `agreementId`.
    error AgreementAlreadyRegistered(bytes32 agreementHash, uint16 agreementId);
    /// @notice The agreement registry holds its maximum of 65,535 agreements.
    error AgreementRegistryFull();
    /// @notice The account has already accepted the terms.
    error AlreadyAccepted(uint256 challengeId, address solver);
    /// @notice The entrant is not in the status the call needs.
    error WrongEntryStatus(uint256 challengeId, address entrant, EntryStatus status);
    /// @notice The challenge already has the maximum number (65,535) of eligible submissions.
    error TooManySubmissions(uint256 challengeId);
    /// @notice The submission CID is empty.
    error EmptyCid();
    /// @notice The slot index is beyond the challenge's slots.
    error UnknownSlot(uint256 challengeId, uint256 slot);
    /// @notice The award is larger than what remains in the slot.
    error SlotExceeded(uint256 challengeId, uint256 slot, uint256 remaining, uint256 amount);
    /// @notice The seeker cannot close while prize money remains and someone is eligible for it.
    error PrizeNotFullyAwarded(uint256 challengeId, uint256 remaining, uint256 eligible);
    /// @notice Refusals are still open to dispute or under dispute.
    error RefusalsPending(uint256 challengeId, uint256 open);
    /// @notice That refusal ground is not available for this challenge type.
    error RefusalNotAllowed(uint256 challengeId, RefusalReason reason);
    /// @notice The revealed prior-art pre-image does not match the commitment (or none was made).
    error PriorArtMismatch(uint256 challengeId, bytes32 commitment, bytes32 revealed);
    /// @notice The challenge has no arbiter, so refusals cannot be disputed.
    error NoArbiter(uint256 challengeId);
    /// @notice Nothing is owed to this account from the challenge.
    error NothingToClaim(uint256 challengeId, address account);
    /// @notice The account already belongs to a team in this challenge.
    error AlreadyInTeam(uint256 challengeId, address account, uint256 teamId);
    /// @notice The team's members have not all confirmed.
    error TeamNotConfirmed(uint256 teamId);
    /// @notice Only the ChallengeTeams contract may call this.
    error NotTeamsContract(address caller);
    /// @notice Only the team's leader can submit or disband it.
    error NotTeamLeader(uint256 teamId, address caller);

    // ---------------------------------------------------------------- events

    /// @notice `agreementHash` was registered under `agreementId`; challenges under it store the id.
    event AgreementRegistered(uint16 indexed agreementId, bytes32 agreementHash);
    /// @notice A challenge was created and funded with the sum of its slots.
    event ChallengeCreated(
        uint256 indexed challengeId, address indexed seeker, address indexed token, ChallengeTerms terms, uint16 licenceDays
    );
    /// @notice `contributor` added `amount` to the prize (slot 0); `funded` is the new total.
    event ChallengeFunded(
        uint256 indexed challengeId, address indexed contributor, address indexed token, uint256 amount, uint256 funded
    );
    /// @notice The seeker moved the deadlines later.
    event DeadlinesExtended(uint256 indexed challengeId, uint64 submissionDeadline, uint64 evaluationDeadline);
    /// @notice The seeker cancelled before anyone accepted; contributors may claim refunds.
    event ChallengeCancelled(uint256 indexed challengeId, uint256 refundPool);
    /// @notice `solver` accepted the agreement `agreementHash` (gates the project room).
    event TermsAccepted(uint256 indexed challengeId, address indexed solver, bytes32 agreementHash);
    /// @notice `entrant` (a solver or a team's leader) committed an encrypted submission.
    event SubmissionCommitted(
        uint256 indexed challengeId, address indexed entrant, uint256 indexed teamId, bytes32 cidHash, bytes cid, uint64 submittedAt
    );
    /// @notice `amount` from award slot `slot` was credited to `entrant` by `grantor`.
    event AwardGranted(
        uint256 indexed challengeId, address indexed entrant, uint256 slot, uint256 amount, uint256 slotRemaining, address indexed grantor
    );
    /// @notice `entrant` withdrew `amount` of `token`, the awards it won in the challenge.
    event AwardWithdrawn(uint256 indexed challengeId, address indexed entrant, address indexed token, uint256 amount);
    /// @notice The winning `entrant`'s IP passes to the seeker under `agreementHash`.
    event IpTransferred(uint256 indexed challengeId, address indexed entrant, bytes32 agreementHash);
    /// @notice The seeker selected an RFP proposal.
    event ProposalSelected(uint256 indexed challengeId, address indexed entrant);
    /// @notice The seeker refused to pay `entrant`; with an arbiter it deposited `fee` and the
    /// refusal may be disputed until `disputeDeadline`.
    event SubmissionRefused(
        uint256 indexed challengeId, address indexed entrant, RefusalReason reason, uint256 fee, uint64 disputeDeadline
    );
    /// @notice The seeker revealed the prior-art commitment's pre-image.
    event PriorKnowledgeRevealed(uint256 indexed challengeId, address indexed entrant, bytes32 salt, bytes priorArtCid);
    /// @notice `entrant` disputed its refusal, depositing `fee`; the arbiter rules until `rulingDeadline`.
    event RefusalDisputed(uint256 indexed challengeId, address indexed entrant, uint256 fee, uint64 rulingDeadline);
    /// @notice A refusal became final or was overturned; `arbiterFee` went to the arbiter.
    event RefusalResolved(
        uint256 indexed challengeId, address indexed entrant, bool overturned, bool byArbiter, uint256 arbiterFee
    );
    /// @notice The challenge left Open; unselected entrants' evaluation licence ends at `licenceExpiry`.
    event ChallengeSettled(
        uint256 indexed challengeId,
        address indexed settledBy,
        uint256 sharePool,
        uint256 shareCount,
        uint256 refundPool,
        uint64 licenceExpiry
    );
    /// @notice `entrant` was credited its equal share of the default split.
    event ShareClaimed(uint256 indexed challengeId, address indexed entrant, uint256 amount);
    /// @notice `contributor` was credited its pro-rata refund.
    event RefundClaimed(uint256 indexed challengeId, address indexed contributor, uint256 amount);
    /// @notice A team's payout credited `amount` to `member`.
    event TeamPayoutCredited(uint256 indexed teamId, address indexed member, uint256 amount);

    // ---------------------------------------------------------------- creation and funding

    constructor() {
        // Deployed here so that `scripts/deploy.py` deploys one contract with no arguments.
        teams = new ChallengeTeams();
    }

    /**
     * @notice Register an agreement used by many challenges (a platform's standard terms): every
     * challenge created under it afterwards stores a 16-bit index instead of the 32-byte hash.
     * Anyone may register; a challenge under an unregistered agreement stores the hash itself.
     * @param agreementHash The agreement's hash.
     * @return agreementId The agreement's index in the registry (from 1).
     */
    function registerAgreement(bytes32 agreementHash) external returns (uint16 agreementId) {
        if (agreementHash == bytes32(0)) revert EmptyAgreement();
        agreementId = _agreementIds[agreementHash];
        if (agreementId != 0) revert AgreementAlreadyRegistered(agreementHash, agreementId);
        if (_agreementCount == type(uint16).max) revert AgreementRegistryFull();
        agreementId = ++_agreementCount;
        _agreementIds[agreementHash] = agreementId;
        _agreementHashes[agreementId] = agreementHash;
        emit AgreementRegistered(agreementId, agreementHash);
    }

    /**
     * @notice Create a challenge and fund it with the sum of its award slots.
     * @param terms The challenge's terms; `licenceDays` 0 means 90 days, RFPs have no slots.
     * @return challengeId The new challenge's id.
     */
    function createChallenge(ChallengeTerms calldata terms) external payable nonReentrant returns (uint256 challengeId) {
        uint256 slots = terms.slotAmounts.length;
        if (terms.kind == ChallengeType.Rfp ? slots != 0 : (slots == 0 || slots > MAX_SLOTS)) revert InvalidSlots(slots);
        _checkDeadlines(terms.submissionDeadline, terms.evaluationDeadline);
        if (terms.submissionDeadline <= block.timestamp) {
            revert InvalidDeadlines(terms.submissionDeadline, terms.evaluationDeadline);
        }
        challengeId = ++_challengeCount;
        uint256 total = terms.slotAmounts.length == 0 ? 0 : terms.slotAmounts[0];
        if (slots != 0 && total == 0) revert InvalidAmount(0);
        uint256 extraTotal = 0;
        for (uint256 i = 1; i < slots; ++i) {
            uint256 amount = terms.slotAmounts[i];
            if (amount == 0 || amount > type(uint128).max) revert InvalidAmount(amount);
            _extraSlotRemaining[challengeId][i] = uint128(amount);
            extraTotal += amount;
        }
        total += extraTotal;
        if (total > type(uint120).max) revert InvalidAmount(total);
        if (extraTotal != 0) _extraSlotsTotal[challengeId] = uint128(extraTotal);
        if (terms.arbiter == msg.sender) revert InvalidArbiter(terms.arbiter);

        uint16 licenceDays = terms.licenceDays == 0 ? DEFAULT_LICENCE_DAYS : terms.licenceDays;
        Record storage c = _challenges[challengeId];
        c.seeker = msg.sender;
        c.submissionDeadline = uint40(terms.submissionDeadline);
        c.evaluationPeriod = uint24(terms.evaluationDeadline - terms.submissionDeadline);
        c.state = ChallengeState.Open;
        // gas: slot 3 stays untouched for an ETH challenge with the default licence.
        uint8 flags = uint8(terms.kind) << KIND_SHIFT;
        if (slots > 1) flags |= uint8(slots - 1) << EXTRA_SLOTS_SHIFT;
        if (terms.token != NATIVE) {
            flags |= FLAG_TOKEN;
            c.token = terms.token;
        }
        c.flags = flags;
        if (licenceDays != DEFAULT_LICENCE_DAYS) c.licenceDays = licenceDays;
        // gas: slot 4 stays untouched for a challenge without an arbiter.
        if (terms.arbiter != address(0)) c.arbiter = terms.arbiter;
        c.funded = uint120(total);
        // gas: a registered agreement costs a 16-bit index in slot 1, a new one its own slot 2;
        // registering at first use would cost two registry slots, paid by that one challenge.
        uint16 agreementId = _agreementIds[terms.agreementHash];
        if (agreementId != 0) c.agreementId = agreementId;
        else c.agreementHash = terms.agreementHash;
        if (terms.priorArtCommitment != bytes32(0)) c.priorArtCommitment = terms.priorArtCommitment;

        // gas: no ChallengeFunded here; the creation event's slot amounts sum to the funding.
        emit ChallengeCreated(challengeId, msg.sender, terms.token, terms, licenceDays);
        if (total != 0) {
            _takeExact(terms.token, total);
        } else if (msg.value != 0) {
            revert EthAmountMismatch(msg.value, 0);
        }
    }

    /**
     * @notice Add `amount` to a challenge's prize; it raises slot 0 and is refundable pro rata.
     * @param challengeId The challenge.
     * @param amount The amount, sent as ETH value or approved in the challenge's token.
     */
    function contribute(uint256 challengeId, uint256 amount) external payable nonReentrant {
        Record storage c = _openChallenge(challengeId);
        if (_kind(c) == ChallengeType.Rfp) revert NoCashPrize(challengeId);
        if (block.timestamp > _evalDeadline(c)) revert DeadlinePassed(challengeId, _evalDeadline(c));
        uint256 funded = c.funded + amount;
        if (amount == 0 || funded > type(uint120).max) revert InvalidAmount(amount);
        c.funded = uint120(funded);
        if (msg.sender != c.seeker) {
            Contribution storage mine = _contributions[challengeId][msg.sender];
            if (mine.amount == 0) ++c.otherContributors;
            mine.amount += uint128(amount);
            _othersContributed[challengeId] += uint128(amount);
        }
        emit ChallengeFunded(challengeId, msg.sender, _tokenOf(c), amount, funded);
        _takeExact(_tokenOf(c), amount);
    }

    /**
     * @notice Move the deadlines later (never earlier); the submission deadline only while it is
     * open, the evaluation deadline at most MAX_EVALUATION_PERIOD after the submission deadline.
     * @param challengeId The challenge.
     * @param submissionDeadline The new submission deadline (>= the current one).
     * @param evaluationDeadline The new evaluation deadline (>= the current one, after submission).
     */
    function extendDeadlines(uint256 challengeId, uint64 submissionDeadline, uint64 evaluationDeadline) external {
        Record storage c = _seekerChallenge(challengeId);
        if (submissionDeadline < c.submissionDeadline) revert DeadlineShortened(c.submissionDeadline, submissionDeadline);
        if (evaluationDeadline < _evalDeadline(c)) revert DeadlineShortened(_evalDeadline(c), evaluationDeadline);
        _checkDeadlines(submissionDeadline, evaluationDeadline);
        if (submissionDeadline != c.submissionDeadline && block.timestamp > c.submissionDeadline) {
            revert DeadlinePassed(challengeId, c.submissionDeadline);
        }
        if (block.timestamp > _evalDeadline(c)) revert DeadlinePassed(challengeId, _evalDeadline(c));
        c.submissionDeadline = uint40(submissionDeadline);
        c.evaluationPeriod = uint24(evaluationDeadline - submissionDeadline);
        emit DeadlinesExtended(challengeId, submissionDeadline, evaluationDeadline);
    }

    /**
     * @notice Cancel a challenge nobody has accepted yet; every contributor can then claim a full refund.
     * @param challengeId The challenge.
     */
    function cancel(uint256 challengeId) external {
        Record storage c = _seekerChallenge(challengeId);
        if (c.flags & FLAG_FROZEN != 0) revert TermsFrozen(challengeId);
        c.state = ChallengeState.Cancelled;
        Outcome storage o = _outcomes[challengeId];
        o.refundPool = c.funded;
        o.settledAt = uint64(block.timestamp);
        emit ChallengeCancelled(challengeId, c.funded);
    }

    // ---------------------------------------------------------------- solvers

    /**
     * @notice Accept the challenge's agreement; required before submitting or joining a team.
     * @param challengeId The challenge.
     * @param agreementHash Must equal the challenge's agreement hash.
     */
    function acceptTerms(uint256 challengeId, bytes32 agreementHash) external {
        Record storage c = _openChallenge(challengeId);
        if (block.timestamp > c.submissionDeadline) revert DeadlinePassed(challengeId, c.submissionDeadline);
        // gas: slot 2 first: a challenge's own agreement (the usual case) costs one cold read,
        // not two (slot 1's registry index, then slot 2); a registered one costs one more.
        bytes32 expected = c.agreementHash;
        if (expected == bytes32(0)) expected = _agreementOf(c);
        if (agreementHash != expected) revert AgreementMismatch(challengeId, expected, agreementHash);
        Entry storage e = _entries[challengeId][msg.sender];
        if (e.status != EntryStatus.None) revert AlreadyAccepted(challengeId, msg.sender);
        e.acceptedAt = uint40(block.timestamp);
        e.status = EntryStatus.Accepted;
        uint8 flags = c.flags;
        if (flags & FLAG_FROZEN == 0) c.flags = flags | FLAG_FROZEN; // gas: written by the first solver only
        emit TermsAccepted(challengeId, msg.sender, agreementHash);
    }

    /**
     * @notice Commit the CID of an encrypted submission, bound to the caller and time-stamped.
     * A team's leader submits for the team once every member confirmed.
     * @param challengeId The challenge.
     * @param cid The submission's CID (only its hash is stored).
     */
    function submit(uint256 challengeId, bytes calldata cid) external {
        Record storage c = _openChallenge(challengeId);
        if (block.timestamp > c.submissionDeadline) revert DeadlinePassed(challengeId, c.submissionDeadline);
        if (cid.length == 0) revert EmptyCid();
        Entry storage e = _entries[challengeId][msg.sender];
        if (e.status != EntryStatus.Accepted) revert WrongEntryStatus(challengeId, msg.sender, e.status);
        uint32 teamId = e.teamId;
        if (teamId != 0) {
            (address leader, bool confirmed) = teams.teamStatus(teamId);
            if (leader != msg.sender) revert NotTeamLeader(teamId, msg.sender);
            if (!confirmed) revert TeamNotConfirmed(teamId);
        }
        bytes32 cidHash = keccak256(cid);
        e.submittedAt = uint40(block.timestamp);
        e.status = EntryStatus.Submitted;
        if (c.eligibleCount == type(uint16).max) revert TooManySubmissions(challengeId);
        ++c.eligibleCount;
        emit SubmissionCommitted(challengeId, msg.sender, teamId, cidHash, cid, uint64(block.timestamp));
    }

    // ---------------------------------------------------------------- evaluation

    /**
     * @notice Pay `amount` from award slot `slot` to a submission (partial awards allowed):
     * held in a solo entrant's entry for `withdrawAward`, or credited to a team's members' balances.
     * The seeker awards during evaluation; the arbiter during its decision period if the seeker did not close.
     * @param challengeId The challenge.
     * @param entrant The submitting solver or team leader.
     * @param slot The award slot (0 is the top award and holds contributions).
     * @param amount The amount, at most what remains in the slot.
     */
    function award(uint256 challengeId, address entrant, uint256 slot, uint256 amount) external nonReentrant {
        Record storage c = _openChallenge(challengeId);
        if (msg.sender == c.seeker) {
            _requireEvaluationPhase(challengeId, c);
        } else if (msg.sender == c.arbiter && msg.sender != address(0)) {
            _requireArbiterPhase(challengeId, c);
        } else {
            revert NotSeeker(challengeId, msg.sender);
        }
        if (_kind(c) == ChallengeType.Rfp) revert NoCashPrize(challengeId);
        Entry storage e = _entries[challengeId][entrant];
        EntryStatus status = e.status;
        if (status != EntryStatus.Submitted && status != EntryStatus.Selected && status != EntryStatus.Overturned) {
            revert WrongEntryStatus(challengeId, entrant, status);
        }
        if (amount == 0) revert InvalidAmount(0);
        uint256 remaining;
        if (slot == 0) {
            remaining = c.funded - c.awarded;
            if (_extraSlots(c) != 0) remaining -= _extraSlotsTotal[challengeId];
        } else {
            if (slot > _extraSlots(c)) revert UnknownSlot(challengeId, slot);
            remaining = _extraSlotRemaining[challengeId][slot];
        }
        if (amount > remaining) revert SlotExceeded(challengeId, slot, remaining, amount);
        unchecked {
            remaining -= amount;
        }
        if (slot != 0) {
            _extraSlotRemaining[challengeId][slot] = uint128(remaining);
            _extraSlotsTotal[challengeId] -= uint128(amount);
        }
        c.awarded += uint120(amount);
        if (status != EntryStatus.Selected) {
            e.status = EntryStatus.Selected;
            emit IpTransferred(challengeId, entrant, _agreementOf(c));
        }
        emit AwardGranted(challengeId, entrant, slot, amount, remaining, msg.sender);
        _pay(c, e, entrant, amount);
    }

    /**
     * @notice Pay the caller what it won as a solo entrant of a challenge: its awards and its
     * default share (refunds, deposits and a team's payouts are credited to balances, paid by `withdraw`).
     * @param challengeId The challenge.
     * @return amount The amount paid, in the challenge's token.
     */
    function withdrawAward(uint256 challengeId) external nonReentrant returns (uint256 amount) {
        Entry storage e = _entries[challengeId][msg.sender];
        amount = e.awardOwed;
        if (amount == 0) revert NothingToClaim(challengeId, msg.sender);
        e.awardOwed = 0;
        address token = _tokenOf(_challenges[challengeId]);
        _beforeWithdraw(token, amount);
        emit AwardWithdrawn(challengeId, msg.sender, token, amount);
        _send(token, msg.sender, amount);
    }

    /**
     * @notice Record that the seeker selects an RFP proposal (no money moves).
     * @param challengeId The RFP.
     * @param entrant The proposal's solver or team leader.
     */
    function selectProposal(uint256 challengeId, address entrant) external {
        Record storage c = _seekerChallenge(challengeId);
        if (_kind(c) != ChallengeType.Rfp) revert WrongState(challengeId, c.state);
        _requireEvaluationPhase(challengeId, c);
        Entry storage e = _entries[challengeId][entrant];
        if (e.status != EntryStatus.Submitted) revert WrongEntryStatus(challengeId, entrant, e.status);
        e.status = EntryStatus.Selected;
        emit ProposalSelected(challengeId, entrant);
        emit IpTransferred(challengeId, entrant, _agreementOf(c));
    }

    /**
     * @notice CONDITIONAL only: declare that a submission does not meet the criteria. With an
     * arbiter the seeker deposits `arbitrationFee(challengeId)` and the solver may dispute.
     * @param challengeId The challenge.
     * @param entrant The submitting solver or team leader.
     */
    function declareCriteriaUnmet(uint256 challengeId, address entrant) external payable nonReentrant {
        Record storage c = _seekerChallenge(challengeId);
        if (_kind(c) != ChallengeType.Conditional) revert RefusalNotAllowed(challengeId, RefusalReason.CriteriaUnmet);
        _refuse(challengeId, c, entrant, RefusalReason.CriteriaUnmet);
    }

    /**
     * @notice Refuse a submission as prior knowledge by revealing the commitment made at creation.
     * With an arbiter the seeker deposits `arbitrationFee(challengeId)` and the solver may dispute.
     * @param challengeId The challenge (IDEATION or CONDITIONAL).
     * @param entrant The submitting solver or team leader.
     * @param salt The salt of the commitment.
     * @param priorArtCid The CID of the prior-art document.
     */
    function refuseForPriorKnowledge(uint256 challengeId, address entrant, bytes32 salt, bytes calldata priorArtCid)
        external
        payable
        nonReentrant
    {
        Record storage c = _seekerChallenge(challengeId);
        if (_kind(c) == ChallengeType.Rfp) revert RefusalNotAllowed(challengeId, RefusalReason.PriorKnowledge);
        bytes32 revealed = keccak256(abi.encodePacked(salt, priorArtCid));
        if (c.priorArtCommitment == bytes32(0) || revealed != c.priorArtCommitment) {
            revert PriorArtMismatch(challengeId, c.priorArtCommitment, revealed);
        }
        emit PriorKnowledgeRevealed(challengeId, entrant, salt, priorArtCid);
        _refuse(challengeId, c, entrant, RefusalReason.PriorKnowledge);
    }

    /**
     * @notice Dispute a refusal within DISPUTE_WINDOW, depositing the same fee as the seeker.
     * @param challengeId The challenge.
     */
    function disputeRefusal(uint256 challengeId) external payable nonReentrant {
        Record storage c = _openChallenge(challengeId);
        Entry storage e = _entries[challengeId][msg.sender];
        if (e.status != EntryStatus.Refused) revert WrongEntryStatus(challengeId, msg.sender, e.status);
        Refusal storage r = _refusals[challengeId][msg.sender];
        if (c.arbiter == address(0)) revert NoArbiter(challengeId);
        if (r.resolved) revert WrongEntryStatus(challengeId, msg.sender, e.status);
        if (block.timestamp > r.deadline) revert DeadlinePassed(challengeId, r.deadline);
        e.status = EntryStatus.Disputed;
        uint64 rulingDeadline = uint64(block.timestamp) + RULING_PERIOD;
        r.deadline = rulingDeadline;
        emit RefusalDisputed(challengeId, msg.sender, r.fee, rulingDeadline);
        if (r.fee != 0) _takeExact(_tokenOf(c), r.fee);
        else if (msg.value != 0) revert EthAmountMismatch(msg.value, 0);
    }

    /**
     * @notice The arbiter rules on a dispute before its ruling deadline. The loser's deposit
     * pays the arbiter, the winner's is refunded; an overturned refusal makes the entry eligible again.
     * @param challengeId The challenge.
     * @param entrant The disputing entrant.
     * @param overturn True if the refusal was wrong.
     */
    function ruleOnDispute(uint256 challengeId, address entrant, bool overturn) external nonReentrant {
        Record storage c = _openChallenge(challengeId);
        if (msg.sender != c.arbiter) revert NotArbiter(challengeId, msg.sender);
        Entry storage e = _entries[challengeId][entrant];
        if (e.status != EntryStatus.Disputed) revert WrongEntryStatus(challengeId, entrant, e.status);
        Refusal storage r = _refusals[challengeId][entrant];
        if (block.timestamp > r.deadline) revert DeadlinePassed(challengeId, r.deadline);
        uint256 fee = r.fee;
        r.resolved = true;
        --c.openRefusals;
        if (overturn) {
            e.status = EntryStatus.Overturned;
            ++c.eligibleCount;
            _credit(_tokenOf(c), entrant, fee); // gas: the solver's own deposit back, never team-split
        } else {
            e.status = EntryStatus.Refused;
            _credit(_tokenOf(c), c.seeker, fee);
        }
        if (fee != 0) _credit(_tokenOf(c), msg.sender, fee);
        emit RefusalResolved(challengeId, entrant, overturn, true, fee);
    }

    /**
     * @notice Anyone: close a refusal whose deadline passed. Undisputed: final, the seeker's deposit
     * returns. Disputed but not ruled: overturned, both deposits return (a silent arbiter earns nothing).
     * @param challengeId The challenge.
     * @param entrant The refused entrant.
     */
    function finalizeRefusal(uint256 challengeId, address entrant) external nonReentrant {
        Record storage c = _challengeIn(challengeId, ChallengeState.Open);
        Entry storage e = _entries[challengeId][entrant];
        Refusal storage r = _refusals[challengeId][entrant];
        bool disputed = e.status == EntryStatus.Disputed;
        if ((e.status != EntryStatus.Refused && !disputed) || r.resolved || c.arbiter == address(0)) {
            revert WrongEntryStatus(challengeId, entrant, e.status);
        }
        if (block.timestamp <= r.deadline) revert DeadlineNotReached(challengeId, r.deadline);
        r.resolved = true;
        --c.openRefusals;
        if (disputed) {
            e.status = EntryStatus.Overturned;
            ++c.eligibleCount;
            _credit(_tokenOf(c), entrant, r.fee);
        }
        _credit(_tokenOf(c), c.seeker, r.fee);
        emit RefusalResolved(challengeId, entrant, disputed, false, 0);
    }

    // ---------------------------------------------------------------- settlement

    /**
     * @notice The seeker closes evaluation early: allowed once the whole prize is awarded or nobody
     * is eligible for it (then the rest is refunded), and no refusal is open.
     * @param challengeId The challenge.
     */
    function closeEvaluation(uint256 challengeId) external {
        Record storage c = _seekerChallenge(challengeId);
        if (block.timestamp <= c.submissionDeadline) revert DeadlineNotReached(challengeId, c.submissionDeadline);
        _requireFullyDecided(challengeId, c);
        _settle(challengeId, c);
    }

    /**
     * @notice The arbiter closes its default decision (after the evaluation deadline, within
     * ARBITER_DECISION_PERIOD); what it left unawarded is split by the default rule.
     * @param challengeId The challenge.
     */
    function arbiterClose(uint256 challengeId) external {
        Record storage c = _openChallenge(challengeId);
        if (msg.sender != c.arbiter || msg.sender == address(0)) revert NotArbiter(challengeId, msg.sender);
        _requireArbiterPhase(challengeId, c);
        if (c.openRefusals != 0) revert RefusalsPending(challengeId, c.openRefusals);
        _settle(challengeId, c);
    }

    /**
     * @notice Anyone: settle by the default rule after the evaluation deadline (after the arbiter's
     * decision period when there is an arbiter) once no refusal is open.
     * @param challengeId The challenge.
     */
    function settle(uint256 challengeId) external {
        Record storage c = _openChallenge(challengeId);
        uint64 deadline = _evalDeadline(c);
        if (c.arbiter != address(0)) deadline += ARBITER_DECISION_PERIOD;
        if (block.timestamp <= deadline) revert DeadlineNotReached(challengeId, deadline);
        if (c.openRefusals != 0) revert RefusalsPending(challengeId, c.openRefusals);
        _settle(challengeId, c);
    }

    /**
     * @notice Anyone: pay an eligible entrant its equal share of the default split (held for
     * `withdrawAward`, or credited to a team's members).
     * @param challengeId The settled challenge.
     * @param entrant The entrant (a team's share is split among its members).
     * @return amount The share credited.
     */
    function claimShare(uint256 challengeId, address entrant) external nonReentrant returns (uint256 amount) {
        Record storage c = _challengeIn(challengeId, ChallengeState.Settled);
        Outcome storage o = _outcomes[challengeId];
        Entry storage e = _entries[challengeId][entrant];
        if (o.sharePool == 0 || e.shareClaimed || !_isEligible(e.status)) revert NothingToClaim(challengeId, entrant);
        e.shareClaimed = true;
        uint32 claimed = ++o.sharesClaimed;
        // The last claimant takes the rounding remainder, so the pool is paid out exactly.
        amount = claimed == o.shareCount ? o.sharePool - o.sharesPaid : o.sharePool / o.shareCount;
        o.sharesPaid += uint128(amount);
        emit ShareClaimed(challengeId, entrant, amount);
        _pay(c, e, entrant, amount);
    }

    /**
     * @notice Anyone: credit a contributor its pro-rata part of a cancelled or settled challenge's refund pool.
     * @param challengeId The challenge.
     * @param contributor The contributor (the seeker included).
     * @return amount The refund credited.
     */
    function claimRefund(uint256 challengeId, address contributor) external nonReentrant returns (uint256 amount) {
        Record storage c = _challenges[challengeId];
        if (c.state != ChallengeState.Cancelled && c.state != ChallengeState.Settled) {
            revert WrongState(challengeId, c.state);
        }
        Outcome storage o = _outcomes[challengeId];
        uint256 contribution = contributionOf(challengeId, contributor);
        Contribution storage mine = _contributions[challengeId][contributor];
        if (o.refundPool == 0 || contribution == 0 || mine.refunded) revert NothingToClaim(challengeId, contributor);
        mine.refunded = true;
        uint32 claimed = ++o.refundsClaimed;
        amount = claimed == c.otherContributors + 1
            ? o.refundPool - o.refundsPaid
            : (contribution * o.refundPool) / c.funded;
        o.refundsPaid += uint128(amount);
        emit RefundClaimed(challengeId, contributor, amount);
        _credit(_tokenOf(c), contributor, amount);
    }

    // ---------------------------------------------------------------- teams (called by ChallengeTeams)

    /**
     * @notice Bind `account` to `teamId`: it must have accepted the terms, not submitted and be in no team.
     * @param challengeId The challenge.
     * @param account The leader creating, or the member confirming, the team.
     * @param teamId The team.
     */
    function bindTeam(uint256 challengeId, address account, uint32 teamId) external {
        if (msg.sender != address(teams)) revert NotTeamsContract(msg.sender);
        Record storage c = _openChallenge(challengeId);
        if (block.timestamp > c.submissionDeadline) revert DeadlinePassed(challengeId, c.submissionDeadline);
        Entry storage e = _entries[challengeId][account];
        if (e.status != EntryStatus.Accepted) revert WrongEntryStatus(challengeId, account, e.status);
        if (e.teamId != 0) revert AlreadyInTeam(challengeId, account, e.teamId);
        e.teamId = teamId;
    }

    /**
     * @notice Release `account` from a disbanded team, which must not have submitted.
     * @param challengeId The challenge.
     * @param account The member.
     * @param teamId The team being disbanded.
     */
    function unbindTeam(uint256 challengeId, address account, uint32 teamId) external {
        if (msg.sender != address(teams)) revert NotTeamsContract(msg.sender);
        Entry storage e = _entries[challengeId][account];
        if (e.teamId != teamId || e.status != EntryStatus.Accepted) {
            revert WrongEntryStatus(challengeId, account, e.status);
        }
        e.teamId = 0;
    }

    // ---------------------------------------------------------------- views

    /**
     * @notice A challenge's stored record.
     * @param challengeId The challenge.
     * @return The challenge.
     */
    function getChallenge(uint256 challengeId) external view returns (Challenge memory) {
        Record storage c = _challenges[challengeId];
        return Challenge({
            seeker: c.seeker,
            state: c.state,
            termsFrozen: c.flags & FLAG_FROZEN != 0,
            eligibleCount: c.eligibleCount,
            submissionDeadline: c.submissionDeadline,
            token: c.token,
            evaluationDeadline: c.state == ChallengeState.None ? 0 : _evalDeadline(c),
            kind: _kind(c),
            licenceDays: c.state == ChallengeState.None ? 0 : _licenceDays(c),
            arbiter: c.arbiter,
            openRefusals: c.openRefusals,
            otherContributors: c.otherContributors,
            funded: c.funded,
            awarded: c.awarded,
            extraSlots: _extraSlots(c),
            agreementHash: _agreementOf(c),
            priorArtCommitment: c.priorArtCommitment
        });
    }

    /**
     * @notice The registry index of an agreement.
     * @param agreementHash The agreement's hash.
     * @return The index (from 1), or 0 if the agreement is not registered.
     */
    function agreementIdOf(bytes32 agreementHash) external view returns (uint16) {
        return _agreementIds[agreementHash];
    }

    /**
     * @notice Number of challenges created; ids run from 1.
     * @return The count.
     */
    function challengeCount() external view returns (uint256) {
        return _challengeCount;
    }

    /**
     * @notice Everything the contract owes in `token` (held prizes, deposits, credited balances).
     * @param token The token, `address(0)` for ETH.
     * @return The amount owed.
     */
    function totalOwed(address token) external view returns (uint256) {
        return token == NATIVE ? _ethOwed : _tokenOwed[token];
    }

    /**
     * @notice A challenge's outcome once it left Open.
     * @param challengeId The challenge.
     * @return The outcome (pools, counts, settlement time).
     */
    function getOutcome(uint256 challengeId) external view returns (Outcome memory) {
        return _outcomes[challengeId];
    }

    /**
     * @notice An entrant's record in a challenge.
     * @param challengeId The challenge.
     * @param entrant The solver or team leader.
     * @return The record (`awardOwed`: awards held for `withdrawAward`).
     */
    function getEntry(uint256 challengeId, address entrant) external view returns (Entry memory) {
        return _entries[challengeId][entrant];
    }

    /**
     * @notice A refusal's record.
     * @param challengeId The challenge.
     * @param entrant The refused entrant.
     * @return The refusal.
     */
    function getRefusal(uint256 challengeId, address entrant) external view returns (Refusal memory) {
        return _refusals[challengeId][entrant];
    }

    /**
     * @notice What remains in an award slot.
     * @param challengeId The challenge.
     * @param slot The slot index.
     * @return The amount still to award from it.
     */
    function slotRemaining(uint256 challengeId, uint256 slot) external view returns (uint256) {
        Record storage c = _challenges[challengeId];
        if (slot == 0) return c.funded - c.awarded - _extraSlotsTotal[challengeId];
        if (slot > _extraSlots(c)) revert UnknownSlot(challengeId, slot);
        return _extraSlotRemaining[challengeId][slot];
    }

    /**
     * @notice What `contributor` put into the challenge (the seeker's is the rest of the funding).
     * @param challengeId The challenge.
     * @param contributor The contributor.
     * @return The contribution.
     */
    function contributionOf(uint256 challengeId, address contributor) public view returns (uint256) {
        Record storage c = _challenges[challengeId];
        if (contributor == c.seeker) return c.funded - _othersContributed[challengeId];
        return _contributions[challengeId][contributor].amount;
    }

    /**
     * @notice Each side's deposit for a refusal and its dispute (ARBITRATION_FEE_BPS of the funding).
     * @param challengeId The challenge.
     * @return The fee (zero without an arbiter).
     */
    function arbitrationFee(uint256 challengeId) public view returns (uint256) {
        Record storage c = _challenges[challengeId];
        if (c.arbiter == address(0)) return 0;
        return (uint256(c.funded) * ARBITRATION_FEE_BPS) / BPS;
    }

    /**
     * @notice When an unselected entrant's evaluation licence ends and its IP is its own again.
     * @param challengeId The challenge.
     * @param entrant The solver or team leader.
     * @return The expiry time; 0 while the challenge is open, for winners (IP transferred) and non-entrants.
     */
    function licenceExpiry(uint256 challengeId, address entrant) external view returns (uint64) {
        Record storage c = _challenges[challengeId];
        EntryStatus status = _entries[challengeId][entrant].status;
        // slither-disable-next-line incorrect-equality (enum states, not balances: exact comparison is meant)
        if (c.state != ChallengeState.Settled || status == EntryStatus.Selected || status < EntryStatus.Submitted) {
            return 0;
        }
        return _outcomes[challengeId].settledAt + uint64(_licenceDays(c)) * 1 days;
    }


    // ---------------------------------------------------------------- internals

    function _evalDeadline(Record storage c) private view returns (uint64) {
        return uint64(c.submissionDeadline) + c.evaluationPeriod;
    }

    /// @dev gas: an ETH challenge never reads slot 3.
    function _tokenOf(Record storage c) private view returns (address) {
        return c.flags & FLAG_TOKEN == 0 ? NATIVE : c.token;
    }

    function _kind(Record storage c) private view returns (ChallengeType) {
        return ChallengeType((c.flags >> KIND_SHIFT) & 3);
    }

    function _extraSlots(Record storage c) private view returns (uint8) {
        return c.flags >> EXTRA_SLOTS_SHIFT;
    }

    function _agreementOf(Record storage c) private view returns (bytes32) {
        uint16 id = c.agreementId;
        return id == 0 ? c.agreementHash : _agreementHashes[id];
    }

    function _licenceDays(Record storage c) private view returns (uint16) {
        uint16 days_ = c.licenceDays;
        return days_ == 0 ? DEFAULT_LICENCE_DAYS : days_;
    }

    function _challengeIn(uint256 challengeId, ChallengeState state) private view returns (Record storage c) {
        c = _challenges[challengeId];
        if (c.state != state) {
            if (c.state == ChallengeState.None) revert UnknownChallenge(challengeId);
            revert WrongState(challengeId, c.state);
        }
    }

    function _openChallenge(uint256 challengeId) private view returns (Record storage) {
        return _challengeIn(challengeId, ChallengeState.Open);
    }

    function _seekerChallenge(uint256 challengeId) private view returns (Record storage c) {
        c = _openChallenge(challengeId);
        if (msg.sender != c.seeker) revert NotSeeker(challengeId, msg.sender);
    }

    function _checkDeadlines(uint64 submissionDeadline, uint64 evaluationDeadline) private pure {
        // Deadlines are stored as uint40 seconds (valid until the year 36812).
        if (
            evaluationDeadline <= submissionDeadline || evaluationDeadline - submissionDeadline > MAX_EVALUATION_PERIOD
                || submissionDeadline > type(uint40).max
        ) {
            revert InvalidDeadlines(submissionDeadline, evaluationDeadline);
        }
    }

    function _requireEvaluationPhase(uint256 challengeId, Record storage c) private view {
        if (block.timestamp <= c.submissionDeadline) revert DeadlineNotReached(challengeId, c.submissionDeadline);
        if (block.timestamp > _evalDeadline(c)) revert DeadlinePassed(challengeId, _evalDeadline(c));
    }

    function _requireArbiterPhase(uint256 challengeId, Record storage c) private view {
        if (block.timestamp <= _evalDeadline(c)) revert DeadlineNotReached(challengeId, _evalDeadline(c));
        uint64 end = _evalDeadline(c) + ARBITER_DECISION_PERIOD;
        if (block.timestamp > end) revert DeadlinePassed(challengeId, end);
    }

    function _requireFullyDecided(uint256 challengeId, Record storage c) private view {
        if (c.openRefusals != 0) revert RefusalsPending(challengeId, c.openRefusals);
        uint256 remaining = c.funded - c.awarded;
        if (remaining != 0 && c.eligibleCount != 0) revert PrizeNotFullyAwarded(challengeId, remaining, c.eligibleCount);
    }

    function _isEligible(EntryStatus status) private pure returns (bool) {
        return status == EntryStatus.Submitted || status == EntryStatus.Selected || status == EntryStatus.Overturned;
    }

    function _refuse(uint256 challengeId, Record storage c, address entrant, RefusalReason reason) private {
        _requireEvaluationPhase(challengeId, c);
        Entry storage e = _entries[challengeId][entrant];
        if (e.status != EntryStatus.Submitted) revert WrongEntryStatus(challengeId, entrant, e.status);
        e.status = EntryStatus.Refused;
        --c.eligibleCount;
        uint256 fee = arbitrationFee(challengeId);
        uint64 deadline = 0;
        if (c.arbiter != address(0)) {
            deadline = uint64(block.timestamp) + DISPUTE_WINDOW;
            _refusals[challengeId][entrant] =
                Refusal({fee: uint128(fee), deadline: deadline, reason: reason, resolved: false});
            ++c.openRefusals;
        }
        emit SubmissionRefused(challengeId, entrant, reason, fee, deadline);
        if (fee != 0) _takeExact(_tokenOf(c), fee);
        else if (msg.value != 0) revert EthAmountMismatch(msg.value, 0);
    }

    function _settle(uint256 challengeId, Record storage c) private {
        c.state = ChallengeState.Settled;
        Outcome storage o = _outcomes[challengeId];
        uint128 remaining = c.funded - c.awarded;
        uint64 now_ = uint64(block.timestamp);
        o.settledAt = now_;
        uint256 shareCount = 0;
        uint128 refundPool = 0;
        if (remaining != 0) {
            if (c.eligibleCount != 0) {
                shareCount = c.eligibleCount;
                o.sharePool = remaining;
                o.shareCount = uint32(shareCount);
            } else {
                refundPool = remaining;
                o.refundPool = remaining;
            }
        }
        emit ChallengeSettled(
            challengeId,
            msg.sender,
            shareCount == 0 ? 0 : remaining,
            shareCount,
            refundPool,
            now_ + uint64(_licenceDays(c)) * 1 days
        );
    }

    /// @dev Take exactly `amount` of `token` from the caller and count it as owed.
    function _takeExact(address token, uint256 amount) private {
        uint256 received = _receive(token, msg.sender, amount);
        if (received != amount) revert FeeOnTransferNotSupported(token, amount, received);
        if (token == NATIVE) _ethOwed += uint128(amount); // amount < 2^120 (checked by every caller)
        else _tokenOwed[token] += amount;
    }

    /// @dev Pay an entrant an award or share: held in a solo entrant's entry for `withdrawAward`,
    /// or credited to a team's members' balances by the team's rule.
    function _pay(Record storage c, Entry storage e, address entrant, uint256 amount) private {
        uint32 teamId = e.teamId;
        if (teamId == 0) {
            e.awardOwed += uint120(amount); // what an entrant is paid never exceeds the funding, a uint120
            return;
        }
        address token = _tokenOf(c);
        (address[] memory members, uint256[] memory shares) = teams.payoutShares(teamId, amount);
        // Bounded loop: a team has at most ChallengeTeams.MAX_TEAM_SIZE (8) members.
        for (uint256 i; i < members.length; ++i) {
            _credit(token, members[i], shares[i]);
            emit TeamPayoutCredited(teamId, members[i], shares[i]);
        }
    }

    function _initReentrancyGuard() internal override {
        _reentrancyStatus = uint8(NOT_ENTERED);
    }

    function _enterNonReentrant() internal override {
        if (_reentrancyStatus == ENTERED) revert ReentrancyGuardReentrantCall();
        _reentrancyStatus = uint8(ENTERED);
    }

    function _exitNonReentrant() internal override {
        _reentrancyStatus = uint8(NOT_ENTERED);
    }

    function _beforeWithdraw(address token, uint256 amount) internal override {
        if (token == NATIVE) _ethOwed = uint128(_ethOwed - amount);
        else _tokenOwed[token] -= amount;
    }
}
