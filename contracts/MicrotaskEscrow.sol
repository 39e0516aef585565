// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {MicrotaskEIP712} from "./microtask/MicrotaskEIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EscrowFunds} from "./utils/EscrowFunds.sol";

/**
 * @title MicrotaskEscrow
 * @notice Escrow for Mechanical-Turk-style micro-task batches. A requester funds a batch
 * (reward per task x task count + an optional bonus pool, in ETH or an ERC-20). Work,
 * claims and approvals travel off chain; the requester pays by signing EIP-712
 * CUMULATIVE vouchers `Voucher(uint256 batchId,address worker,uint256 cumulativeAmount)`
 * that a worker redeems whenever they like (one transfer for any number of tasks), or by
 * posting one Merkle root of `(worker, cumulativeAmount)` that each worker claims from.
 *
 * Slow path, for a worker the requester neither pays nor answers: the worker posts a
 * result on chain for a task proven against the batch's task root. The reward is
 * reserved at once. Unless the requester approves or rejects within the review window,
 * anyone can auto-approve it. A rejection carries a reason hash and a requester bond of
 * 2x the reward; the worker can dispute it to the batch's arbiter within 3 days with a
 * bond of 1x the reward; the arbiter rules within 7 days and takes a fee of half a reward
 * from the loser's bond; the rest of the loser's bond goes to the winner. An arbiter that
 * does not rule in time lets anyone settle for the worker (reward paid, bonds returned).
 * Without an arbiter a rejection is final at once and costs no bond.
 *
 * Closing: after `expiry + GRACE_PERIOD` the requester reclaims what is neither paid nor
 * reserved. Until then any signed voucher can be redeemed; afterwards, vouchers not yet
 * redeemed are worth only what is left, and nothing once the requester has closed.
 *
 * @dev Leaf encodings (OpenZeppelin StandardMerkleTree, double-hashed, sorted pairs):
 * task `keccak256(bytes.concat(keccak256(abi.encode(uint256 taskIndex, bytes32 taskHash))))`,
 * allowlist `keccak256(bytes.concat(keccak256(abi.encode(address worker))))`,
 * settlement `keccak256(bytes.concat(keccak256(abi.encode(address worker, uint256 cumulativeAmount))))`.
 * Amounts are stored as uint96 (up to 7.9e28 base units per batch).
 */
contract MicrotaskEscrow is EscrowFunds, MicrotaskEIP712 {
    /// @notice Lifecycle of a batch. `None`: never funded.
    enum BatchState {
        None,
        Open,
        Closed
    }

    /// @notice How a worker proves qualification when posting a result on chain.
    enum QualificationKind {
        None,
        Allowlist,
        Qualifier
    }

    /// @notice Lifecycle of a result posted on chain. Approved and RejectionUpheld are final.
    enum SubmissionState {
        None,
        Pending,
        Rejected,
        Disputed,
        Approved,
        RejectionUpheld
    }

    /// @notice What a requester chooses when funding a batch.
    struct BatchParams {
        address token; // address(0) for ETH
        uint96 reward; // per task
        uint32 taskCount;
        uint96 bonusPool;
        bytes32 taskRoot; // Merkle root of (taskIndex, taskHash) leaves
        uint32 assignmentDuration; // enforced off chain for claims; informational here
        uint32 reviewWindow; // seconds the requester has to answer an on-chain result
        uint40 expiry; // end of work; vouchers and results accepted until expiry + GRACE_PERIOD
        QualificationKind qualificationKind;
        bytes32 qualification; // allowlist root, or the qualifier address (left-padded)
        address arbiter; // address(0): no disputes, rejections are final
        string manifestCid; // CID of the task list
    }

    /// @notice A funded batch. Slots 0 and 1 are all a redemption reads.
    struct Batch {
        // gas: slot 0 packs everything a redemption checks (signer, state) into one read
        address requester;
        uint40 expiry;
        uint32 reviewWindow;
        BatchState state;
        QualificationKind qualificationKind;
        // gas: slot 1 is the only batch slot a redemption writes; uint96 amounts share it with the token
        address token;
        uint96 available; // escrow neither paid, reserved for on-chain results, nor reclaimed
        // slot 2: slow path only
        address arbiter;
        uint96 reward;
        // slots 3-5; taskCount and assignmentDuration are emitted, not stored (gas: one slot less per batch)
        bytes32 taskRoot;
        bytes32 manifestHash; // keccak256(bytes(manifestCid))
        bytes32 qualification;
    }

    /// @notice A result posted on chain; `deadline` is the end of the current state's window.
    struct Submission {
        // gas: one slot; batch, task and worker are the mapping keys, the result hash is only emitted
        uint40 deadline;
        SubmissionState state;
    }

    /// @notice EIP-712 type hash of `Voucher(uint256 batchId,address worker,uint256 cumulativeAmount)`.
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(uint256 batchId,address worker,uint256 cumulativeAmount)");
    /// @notice EIP-712 type hash of `Qualification(uint256 batchId,address worker)`.
    bytes32 public constant QUALIFICATION_TYPEHASH = keccak256("Qualification(uint256 batchId,address worker)");

    /// @notice Time after expiry during which workers can still redeem and post results before the requester may close.
    uint256 public constant GRACE_PERIOD = 7 days;
    /// @notice Time a worker has to dispute a rejection.
    uint256 public constant DISPUTE_WINDOW = 3 days;
    /// @notice Time the arbiter has to rule on a dispute.
    uint256 public constant RULING_WINDOW = 7 days;
    /// @notice Shortest review window a batch may set.
    uint256 public constant MIN_REVIEW_WINDOW = 1 hours;
    /// @notice Longest review window a batch may set.
    uint256 public constant MAX_REVIEW_WINDOW = 30 days;
    /// @notice Longest time from funding to expiry.
    uint256 public constant MAX_BATCH_DURATION = 365 days;
    /// @notice Requester bond for a rejection, in rewards.
    uint256 public constant REJECT_BOND_MULTIPLE = 2;
    /// @notice Worker bond for a dispute, in rewards.
    uint256 public constant DISPUTE_BOND_MULTIPLE = 1;
    /// @notice Arbiter fee taken from the loser's bond, in basis points of the reward.
    uint256 public constant ARBITER_FEE_BPS = 5_000;

    /// @notice Number of batches funded so far; batch ids start at 1.
    uint256 public batchCount;

    mapping(uint256 batchId => Batch) private _batches;
    /// @notice Cumulative amount paid to a worker from a batch by vouchers and settlement claims.
    mapping(uint256 batchId => mapping(address worker => uint256 amount)) public redeemed;
    /// @notice Latest settlement root a requester posted for a batch (zero: none).
    mapping(uint256 batchId => bytes32 root) public settlementRoot;
    mapping(uint256 batchId => mapping(uint256 taskIndex => mapping(address worker => Submission))) private
        _submissions;

    /// @notice The batch does not exist.
    error UnknownBatch(uint256 batchId);
    /// @notice The batch is not in the state the call needs.
    error WrongBatchState(uint256 batchId, BatchState state, BatchState required);
    /// @notice A batch parameter is out of range; `reason` names it.
    error InvalidBatchParams(string reason);
    /// @notice reward x taskCount + bonusPool does not fit the escrow's uint96 amounts.
    error EscrowTooLarge(uint256 total, uint256 max);
    /// @notice Fewer tokens arrived than were sent (fee-on-transfer tokens are refused).
    error FeeOnTransferNotSupported(address token, uint256 expected, uint256 received);
    /// @notice Only the batch's requester may call this.
    error NotRequester(uint256 batchId, address caller, address requester);
    /// @notice Only the batch's arbiter may call this.
    error NotArbiter(uint256 batchId, address caller, address arbiter);
    /// @notice The voucher was not signed by the batch's requester.
    error InvalidVoucherSigner(uint256 batchId, address signer, address requester);
    /// @notice The voucher's cumulative amount is not above what the worker was already paid.
    error StaleVoucher(uint256 batchId, address worker, uint256 cumulativeAmount, uint256 alreadyRedeemed);
    /// @notice Paying this would exceed what the batch still holds.
    error InsufficientEscrow(uint256 batchId, uint256 needed, uint256 available);
    /// @notice The worker and cumulative amount are not in the batch's settlement root.
    error InvalidSettlementProof(uint256 batchId, address worker, uint256 cumulativeAmount);
    /// @notice The requester has posted no settlement root for the batch.
    error NoSettlementRoot(uint256 batchId);
    /// @notice The task is not in the batch's task root.
    error InvalidTaskProof(uint256 batchId, uint256 taskIndex, bytes32 taskHash);
    /// @notice The worker is not qualified for the batch.
    error NotQualified(uint256 batchId, address worker);
    /// @notice A result hash of zero was posted.
    error EmptyResult();
    /// @notice The window for this call has closed.
    error WindowClosed(uint256 batchId, uint64 deadline, uint64 nowTime);
    /// @notice The window must close before this call.
    error WindowOpen(uint256 batchId, uint64 deadline, uint64 nowTime);
    /// @notice The on-chain result is not in the state the call needs.
    error WrongSubmissionState(
        uint256 batchId, uint256 taskIndex, address worker, SubmissionState state, SubmissionState required
    );

    /// @notice A batch was funded. `terms` carries every term (token, reward, task count,
    /// bonus pool, task root, durations, expiry, qualification, arbiter, manifest CID) so
    /// indexers need not read storage; `escrowed` = reward x taskCount + bonusPool.
    event BatchFunded(
        uint256 indexed batchId,
        address indexed requester,
        address indexed token,
        BatchParams terms,
        bytes32 manifestHash,
        uint256 escrowed
    );
    /// @notice A voucher or settlement claim paid `paid` to `worker`, whose cumulative is now `cumulativeAmount`.
    event VoucherRedeemed(uint256 indexed batchId, address indexed worker, uint256 cumulativeAmount, uint256 paid);
    /// @notice The requester posted a settlement root; claims with proofs against it pay like vouchers.
    event SettlementRootPosted(uint256 indexed batchId, bytes32 root, string settlementCid);
    /// @notice A worker posted a result on chain; the reward is reserved until it is settled.
    event ResultSubmitted(
        uint256 indexed batchId,
        uint256 indexed taskIndex,
        address indexed worker,
        bytes32 taskHash,
        bytes32 resultHash,
        uint64 reviewDeadline
    );
    /// @notice An on-chain result was approved (`automatic`: after the review window) and the reward credited.
    event ResultApproved(
        uint256 indexed batchId, uint256 indexed taskIndex, address indexed worker, uint256 reward, bool automatic
    );
    /// @notice The requester rejected an on-chain result with a bond (zero without arbiter: then final).
    event ResultRejected(
        uint256 indexed batchId,
        uint256 indexed taskIndex,
        address indexed worker,
        bytes32 reasonHash,
        uint256 requesterBond,
        uint64 disputeDeadline
    );
    /// @notice A rejection became final: the reward went back to the batch (or requester) and the bond back.
    event RejectionUpheld(
        uint256 indexed batchId,
        uint256 indexed taskIndex,
        address indexed worker,
        uint256 rewardReleased,
        uint256 requesterBondReturned
    );
    /// @notice The worker disputed a rejection with a bond; the arbiter must rule by `rulingDeadline`.
    event RejectionDisputed(
        uint256 indexed batchId, uint256 indexed taskIndex, address indexed worker, uint256 workerBond, uint64 rulingDeadline
    );
    /// @notice The arbiter ruled; amounts credited to each party. If the worker won, `toWorker`
    /// includes the reward; if not, the reward went back to the batch (or the requester if closed).
    event DisputeRuled(
        uint256 indexed batchId,
        uint256 indexed taskIndex,
        address indexed worker,
        bool workerWon,
        uint256 toWorker,
        uint256 toRequester,
        uint256 arbiterFee
    );
    /// @notice The arbiter did not rule in time: worker paid, both bonds returned.
    event DisputeExpired(
        uint256 indexed batchId, uint256 indexed taskIndex, address indexed worker, uint256 toWorker, uint256 toRequester
    );
    /// @notice The requester closed the batch and was sent what was left.
    event BatchClosed(uint256 indexed batchId, address indexed requester, uint256 reclaimed);

    constructor() MicrotaskEIP712("Crowdbounty MicrotaskEscrow", "1") {}

    // ------------------------------------------------------------------ funding

    /**
     * @notice Fund a new batch; the caller becomes its requester. Send ETH as `msg.value`
     * or approve the ERC-20 first. Fee-on-transfer tokens are refused.
     * @param p The batch's terms (see `BatchParams`).
     * @return batchId The new batch's id.
     */
    function fundBatch(BatchParams calldata p) external payable nonReentrant returns (uint256 batchId) {
        _checkParams(p);
        uint256 total = uint256(p.reward) * p.taskCount + p.bonusPool;
        if (total > type(uint96).max) revert EscrowTooLarge(total, type(uint96).max);
        batchId = ++batchCount;
        bytes32 manifestHash = keccak256(bytes(p.manifestCid));
        Batch storage b = _batches[batchId];
        b.requester = msg.sender;
        b.expiry = p.expiry;
        b.reviewWindow = p.reviewWindow;
        b.state = BatchState.Open;
        b.qualificationKind = p.qualificationKind;
        b.token = p.token;
        b.available = uint96(total);
        b.arbiter = p.arbiter;
        b.reward = p.reward;
        b.taskRoot = p.taskRoot;
        b.manifestHash = manifestHash;
        if (p.qualificationKind != QualificationKind.None) b.qualification = p.qualification; // gas: skip zero writes
        emit BatchFunded(batchId, msg.sender, p.token, p, manifestHash, total);
        uint256 received = _receive(p.token, msg.sender, total);
        if (received != total) revert FeeOnTransferNotSupported(p.token, total, received);
    }

    // ------------------------------------------------------------------ fast path

    /**
     * @notice Pay `worker` what a requester-signed cumulative voucher adds to what they were
     * already paid from this batch. Anyone may submit it; the money always goes to `worker`.
     * @param batchId The batch.
     * @param worker The worker the voucher names (and pays).
     * @param cumulativeAmount Total the requester owes `worker` from this batch so far, bonuses included.
     * @param signature The requester's 65-byte EIP-712 signature over the voucher (low-s only).
     * @return paid The difference paid now.
     */
    function redeemVoucher(uint256 batchId, address worker, uint256 cumulativeAmount, bytes calldata signature)
        external
        nonReentrant
        returns (uint256 paid)
    {
        Batch storage b = _openBatch(batchId);
        address signer = ECDSA.recoverCalldata(voucherDigest(batchId, worker, cumulativeAmount), signature);
        if (signer != b.requester) revert InvalidVoucherSigner(batchId, signer, b.requester);
        paid = _pay(b, batchId, worker, cumulativeAmount);
    }

    /**
     * @notice Post (or replace) a Merkle root of `(worker, cumulativeAmount)` leaves; each
     * worker then claims with `claimSettlement`. Cumulative amounts share the voucher ledger,
     * so a newer root or voucher pays only the difference.
     * @param batchId The batch (the caller must be its requester).
     * @param root The settlement root (leaf encoding in the contract's @dev notes).
     * @param settlementCid CID of the full leaf list, so workers can build their proofs.
     */
    function postSettlementRoot(uint256 batchId, bytes32 root, string calldata settlementCid) external {
        Batch storage b = _openBatch(batchId);
        _onlyRequester(b, batchId);
        settlementRoot[batchId] = root;
        emit SettlementRootPosted(batchId, root, settlementCid);
    }

    /**
     * @notice Pay `worker` what their leaf in the batch's settlement root adds to what they
     * were already paid. Anyone may submit it; the money always goes to `worker`.
     * @param batchId The batch.
     * @param worker The worker in the leaf (and paid).
     * @param cumulativeAmount The cumulative amount in the leaf.
     * @param proof The Merkle proof of the leaf.
     * @return paid The difference paid now.
     */
    function claimSettlement(uint256 batchId, address worker, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        nonReentrant
        returns (uint256 paid)
    {
        Batch storage b = _openBatch(batchId);
        bytes32 root = settlementRoot[batchId];
        if (root == bytes32(0)) revert NoSettlementRoot(batchId);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(worker, cumulativeAmount))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) {
            revert InvalidSettlementProof(batchId, worker, cumulativeAmount);
        }
        paid = _pay(b, batchId, worker, cumulativeAmount);
    }

    // ------------------------------------------------------------------ slow path

    /**
     * @notice Post the caller's result for a task on chain and reserve its reward. Allowed
     * until `expiry + GRACE_PERIOD`, once per task and worker.
     * @param batchId The batch.
     * @param taskIndex The task's index in the task tree.
     * @param taskHash The task's hash in the task tree.
     * @param resultHash Hash of the result (non-zero; the result itself travels off chain).
     * @param taskProof Merkle proof of `(taskIndex, taskHash)` against the batch's task root.
     * @param qualificationProof Allowlist: `abi.encode(bytes32[] proof)`; qualifier: its 65-byte
     * EIP-712 signature over `Qualification(batchId, worker)`; none: empty.
     */
    function submitResult(
        uint256 batchId,
        uint256 taskIndex,
        bytes32 taskHash,
        bytes32 resultHash,
        bytes32[] calldata taskProof,
        bytes calldata qualificationProof
    ) external nonReentrant {
        Batch storage b = _openBatch(batchId);
        uint256 closesAt = uint256(b.expiry) + GRACE_PERIOD;
        if (block.timestamp >= closesAt) revert WindowClosed(batchId, uint64(closesAt), uint64(block.timestamp));
        if (resultHash == bytes32(0)) revert EmptyResult();
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(taskIndex, taskHash))));
        if (!MerkleProof.verifyCalldata(taskProof, b.taskRoot, leaf)) {
            revert InvalidTaskProof(batchId, taskIndex, taskHash);
        }
        _checkQualified(b, batchId, qualificationProof);
        Submission storage s = _submissions[batchId][taskIndex][msg.sender];
        _requireSubmission(s, batchId, taskIndex, msg.sender, SubmissionState.None);
        uint96 reward = b.reward;
        if (reward > b.available) revert InsufficientEscrow(batchId, reward, b.available);
        b.available -= reward;
        uint40 deadline = uint40(block.timestamp + b.reviewWindow);
        s.deadline = deadline;
        s.state = SubmissionState.Pending;
        emit ResultSubmitted(batchId, taskIndex, msg.sender, taskHash, resultHash, deadline);
    }

    /**
     * @notice Approve a pending on-chain result; its reward is credited to the worker.
     * @param batchId The batch (the caller must be its requester).
     * @param taskIndex The task.
     * @param worker The worker who posted the result.
     */
    function approveResult(uint256 batchId, uint256 taskIndex, address worker) external nonReentrant {
        Batch storage b = _existingBatch(batchId);
        _onlyRequester(b, batchId);
        Submission storage s = _submissions[batchId][taskIndex][worker];
        _requireSubmission(s, batchId, taskIndex, worker, SubmissionState.Pending);
        _approve(b, s, batchId, taskIndex, worker, false);
    }

    /**
     * @notice Approve a pending on-chain result whose review window has passed without an
     * answer; anyone may call. The reward is credited to the worker.
     * @param batchId The batch.
     * @param taskIndex The task.
     * @param worker The worker who posted the result.
     */
    function autoApproveResult(uint256 batchId, uint256 taskIndex, address worker) external nonReentrant {
        Batch storage b = _existingBatch(batchId);
        Submission storage s = _submissions[batchId][taskIndex][worker];
        _requireSubmission(s, batchId, taskIndex, worker, SubmissionState.Pending);
        _requireWindowPassed(batchId, s.deadline);
        _approve(b, s, batchId, taskIndex, worker, true);
    }

    /**
     * @notice Reject a pending on-chain result within its review window. With an arbiter
     * the caller posts a bond of `REJECT_BOND_MULTIPLE` rewards (ETH as `msg.value`, or an
     * approved ERC-20) and the worker may dispute for `DISPUTE_WINDOW`; without an arbiter
     * the rejection is final at once, costs no bond, and the reward returns to the batch.
     * @param batchId The batch (the caller must be its requester).
     * @param taskIndex The task.
     * @param worker The worker who posted the result.
     * @param reasonHash Hash of the reason, published off chain.
     */
    function rejectResult(uint256 batchId, uint256 taskIndex, address worker, bytes32 reasonHash)
        external
        payable
        nonReentrant
    {
        Batch storage b = _existingBatch(batchId);
        _onlyRequester(b, batchId);
        Submission storage s = _submissions[batchId][taskIndex][worker];
        _requireSubmission(s, batchId, taskIndex, worker, SubmissionState.Pending);
        _requireWindowOpen(batchId, s.deadline);
        if (b.arbiter == address(0)) {
            if (msg.value != 0) revert EthNotAccepted();
            s.state = SubmissionState.RejectionUpheld;
            emit ResultRejected(batchId, taskIndex, worker, reasonHash, 0, uint64(block.timestamp));
            uint256 reward = b.reward;
            _releaseReward(b);
            emit RejectionUpheld(batchId, taskIndex, worker, reward, 0);
            return;
        }
        uint256 bond = REJECT_BOND_MULTIPLE * b.reward;
        uint40 deadline = uint40(block.timestamp + DISPUTE_WINDOW);
        s.state = SubmissionState.Rejected;
        s.deadline = deadline;
        emit ResultRejected(batchId, taskIndex, worker, reasonHash, bond, deadline);
        _receiveExact(b.token, bond);
    }

    /**
     * @notice Make a rejection final once its dispute window has passed undisputed; anyone
     * may call. The reward returns to the batch (or, if closed, is credited to the
     * requester) and the requester's bond is credited back.
     * @param batchId The batch.
     * @param taskIndex The task.
     * @param worker The worker who posted the result.
     */
    function finalizeRejection(uint256 batchId, uint256 taskIndex, address worker) external nonReentrant {
        Batch storage b = _existingBatch(batchId);
        Submission storage s = _submissions[batchId][taskIndex][worker];
        _requireSubmission(s, batchId, taskIndex, worker, SubmissionState.Rejected);
        _requireWindowPassed(batchId, s.deadline);
        s.state = SubmissionState.RejectionUpheld;
        uint256 reward = b.reward;
        uint256 bond = REJECT_BOND_MULTIPLE * reward;
        _releaseReward(b);
        _credit(b.token, b.requester, bond);
        emit RejectionUpheld(batchId, taskIndex, worker, reward, bond);
    }

    /**
     * @notice Dispute a rejection of the caller's result to the batch's arbiter within the
     * dispute window, posting a bond of `DISPUTE_BOND_MULTIPLE` rewards (ETH as
     * `msg.value`, or an approved ERC-20).
     * @param batchId The batch.
     * @param taskIndex The task of the caller's rejected result.
     */
    function disputeRejection(uint256 batchId, uint256 taskIndex) external payable nonReentrant {
        Batch storage b = _existingBatch(batchId);
        Submission storage s = _submissions[batchId][taskIndex][msg.sender];
        _requireSubmission(s, batchId, taskIndex, msg.sender, SubmissionState.Rejected);
        _requireWindowOpen(batchId, s.deadline);
        uint256 bond = DISPUTE_BOND_MULTIPLE * b.reward;
        uint40 deadline = uint40(block.timestamp + RULING_WINDOW);
        s.state = SubmissionState.Disputed;
        s.deadline = deadline;
        emit RejectionDisputed(batchId, taskIndex, msg.sender, bond, deadline);
        _receiveExact(b.token, bond);
    }

    /**
     * @notice Rule on a dispute before the ruling deadline. The winner gets their bond back
     * plus the loser's bond minus the arbiter fee (`ARBITER_FEE_BPS` of the reward); the
     * reward goes to the worker if they win, else back to the batch (or requester if closed).
     * @param batchId The batch (the caller must be its arbiter).
     * @param taskIndex The task.
     * @param worker The worker who disputed.
     * @param workerWins True to pay the worker, false to uphold the rejection.
     */
    function ruleDispute(uint256 batchId, uint256 taskIndex, address worker, bool workerWins)
        external
        nonReentrant
    {
        Batch storage b = _existingBatch(batchId);
        if (msg.sender != b.arbiter) revert NotArbiter(batchId, msg.sender, b.arbiter);
        Submission storage s = _submissions[batchId][taskIndex][worker];
        _requireSubmission(s, batchId, taskIndex, worker, SubmissionState.Disputed);
        _requireWindowOpen(batchId, s.deadline);
        uint256 reward = b.reward;
        uint256 requesterBond = REJECT_BOND_MULTIPLE * reward;
        uint256 workerBond = DISPUTE_BOND_MULTIPLE * reward;
        uint256 fee = (reward * ARBITER_FEE_BPS) / 10_000;
        uint256 toWorker = 0;
        uint256 toRequester = 0;
        if (workerWins) {
            s.state = SubmissionState.Approved;
            toWorker = reward + workerBond + requesterBond - fee;
        } else {
            s.state = SubmissionState.RejectionUpheld;
            toRequester = requesterBond + workerBond - fee;
            _releaseReward(b);
        }
        address token = b.token;
        if (toWorker != 0) _credit(token, worker, toWorker);
        if (toRequester != 0) _credit(token, b.requester, toRequester);
        if (fee != 0) _credit(token, msg.sender, fee);
        emit DisputeRuled(batchId, taskIndex, worker, workerWins, toWorker, toRequester, fee);
    }

    /**
     * @notice Settle a dispute the arbiter left unruled past its deadline; anyone may call.
     * The worker is paid the reward and both bonds are returned: the requester chose the
     * arbiter, so its silence must not cost the worker.
     * @param batchId The batch.
     * @param taskIndex The task.
     * @param worker The worker who disputed.
     */
    function settleExpiredDispute(uint256 batchId, uint256 taskIndex, address worker) external nonReentrant {
        Batch storage b = _existingBatch(batchId);
        Submission storage s = _submissions[batchId][taskIndex][worker];
        _requireSubmission(s, batchId, taskIndex, worker, SubmissionState.Disputed);
        _requireWindowPassed(batchId, s.deadline);
        s.state = SubmissionState.Approved;
        uint256 reward = b.reward;
        uint256 toWorker = reward + DISPUTE_BOND_MULTIPLE * reward;
        uint256 toRequester = REJECT_BOND_MULTIPLE * reward;
        _credit(b.token, worker, toWorker);
        _credit(b.token, b.requester, toRequester);
        emit DisputeExpired(batchId, taskIndex, worker, toWorker, toRequester);
    }

    // ------------------------------------------------------------------ closing

    /**
     * @notice Close the batch after `expiry + GRACE_PERIOD` and send the requester what is
     * neither paid nor reserved for on-chain results. Vouchers not redeemed by then can no
     * longer be redeemed; rewards reserved for results still in review are settled later.
     * @param batchId The batch (the caller must be its requester).
     * @return reclaimed The amount sent to the requester.
     */
    function closeBatch(uint256 batchId) external nonReentrant returns (uint256 reclaimed) {
        Batch storage b = _openBatch(batchId);
        _onlyRequester(b, batchId);
        uint256 closesAt = uint256(b.expiry) + GRACE_PERIOD;
        if (block.timestamp < closesAt) revert WindowOpen(batchId, uint64(closesAt), uint64(block.timestamp));
        reclaimed = b.available;
        b.available = 0;
        b.state = BatchState.Closed;
        emit BatchClosed(batchId, msg.sender, reclaimed);
        if (reclaimed != 0) _send(b.token, msg.sender, reclaimed);
    }

    // ------------------------------------------------------------------ views

    /**
     * @notice The EIP-712 digest a requester signs for a voucher.
     * @param batchId The batch.
     * @param worker The worker paid.
     * @param cumulativeAmount Total owed to `worker` from this batch so far.
     * @return The digest (`\x19\x01 || domainSeparator || structHash`).
     */
    function voucherDigest(uint256 batchId, address worker, uint256 cumulativeAmount) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, batchId, worker, cumulativeAmount)));
    }

    /**
     * @notice The EIP-712 domain separator (name "Crowdbounty MicrotaskEscrow", version "1",
     * this chain id, this contract).
     * @return The domain separator.
     */
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /**
     * @notice A batch's stored state.
     * @param batchId The batch.
     * @return The batch (all zero if it does not exist).
     */
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /**
     * @notice A result posted on chain.
     * @param batchId The batch.
     * @param taskIndex The task.
     * @param worker The worker who posted it.
     * @return The submission (state None if there is none).
     */
    function getSubmission(uint256 batchId, uint256 taskIndex, address worker)
        external
        view
        returns (Submission memory)
    {
        return _submissions[batchId][taskIndex][worker];
    }

    // ------------------------------------------------------------------ internals

    function _checkParams(BatchParams calldata p) private view {
        if (p.reward == 0) revert InvalidBatchParams("reward");
        if (p.taskCount == 0) revert InvalidBatchParams("taskCount");
        if (p.taskRoot == bytes32(0)) revert InvalidBatchParams("taskRoot");
        if (bytes(p.manifestCid).length == 0) revert InvalidBatchParams("manifestCid");
        if (p.reviewWindow < MIN_REVIEW_WINDOW || p.reviewWindow > MAX_REVIEW_WINDOW) {
            revert InvalidBatchParams("reviewWindow");
        }
        if (p.expiry <= block.timestamp || p.expiry > block.timestamp + MAX_BATCH_DURATION) {
            revert InvalidBatchParams("expiry");
        }
        if (p.arbiter == msg.sender) revert InvalidBatchParams("arbiter");
        bool hasQualification = p.qualification != bytes32(0);
        if ((p.qualificationKind == QualificationKind.None) == hasQualification) {
            revert InvalidBatchParams("qualification");
        }
        if (p.qualificationKind == QualificationKind.Qualifier && uint256(p.qualification) >> 160 != 0) {
            revert InvalidBatchParams("qualification");
        }
    }

    /// @dev Shared by vouchers and settlement claims: pay the difference since the last payment.
    function _pay(Batch storage b, uint256 batchId, address worker, uint256 cumulativeAmount)
        private
        returns (uint256 paid)
    {
        uint256 already = redeemed[batchId][worker];
        if (cumulativeAmount <= already) revert StaleVoucher(batchId, worker, cumulativeAmount, already);
        paid = cumulativeAmount - already;
        uint256 available = b.available;
        if (paid > available) revert InsufficientEscrow(batchId, paid, available);
        redeemed[batchId][worker] = cumulativeAmount;
        b.available = uint96(available - paid); // safe: paid <= available
        emit VoucherRedeemed(batchId, worker, cumulativeAmount, paid);
        _send(b.token, worker, paid);
    }

    function _approve(Batch storage b, Submission storage s, uint256 batchId, uint256 taskIndex, address worker, bool automatic)
        private
    {
        s.state = SubmissionState.Approved;
        uint256 reward = b.reward;
        _credit(b.token, worker, reward);
        emit ResultApproved(batchId, taskIndex, worker, reward, automatic);
    }

    /// @dev A reserved reward no longer owed: back to the batch while open, else to the requester.
    function _releaseReward(Batch storage b) private {
        if (b.state == BatchState.Open) {
            b.available += b.reward;
        } else {
            _credit(b.token, b.requester, b.reward);
        }
    }

    function _receiveExact(address token, uint256 amount) private {
        uint256 received = _receive(token, msg.sender, amount);
        if (received != amount) revert FeeOnTransferNotSupported(token, amount, received);
    }

    function _checkQualified(Batch storage b, uint256 batchId, bytes calldata proof) private view {
        QualificationKind kind = b.qualificationKind;
        if (kind == QualificationKind.None) return;
        bool ok;
        if (kind == QualificationKind.Allowlist) {
            bytes32[] memory path = abi.decode(proof, (bytes32[]));
            bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(msg.sender))));
            ok = MerkleProof.verify(path, b.qualification, leaf);
        } else {
            bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(QUALIFICATION_TYPEHASH, batchId, msg.sender)));
            // slither-disable-next-line unused-return (the third value only details an error, which `err` already reports)
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, proof);
            ok = err == ECDSA.RecoverError.NoError && signer == address(uint160(uint256(b.qualification)));
        }
        if (!ok) revert NotQualified(batchId, msg.sender);
    }

    function _existingBatch(uint256 batchId) private view returns (Batch storage b) {
        b = _batches[batchId];
        if (b.state == BatchState.None) revert UnknownBatch(batchId);
    }

    function _openBatch(uint256 batchId) private view returns (Batch storage b) {
        b = _existingBatch(batchId);
        if (b.state != BatchState.Open) revert WrongBatchState(batchId, b.state, BatchState.Open);
    }

    function _onlyRequester(Batch storage b, uint256 batchId) private view {
        if (msg.sender != b.requester) revert NotRequester(batchId, msg.sender, b.requester);
    }

    function _requireSubmission(
        Submission storage s,
        uint256 batchId,
        uint256 taskIndex,
        address worker,
        SubmissionState required
    ) private view {
        if (s.state != required) revert WrongSubmissionState(batchId, taskIndex, worker, s.state, required);
    }

    function _requireWindowOpen(uint256 batchId, uint40 deadline) private view {
        if (block.timestamp >= deadline) revert WindowClosed(batchId, deadline, uint64(block.timestamp));
    }

    function _requireWindowPassed(uint256 batchId, uint40 deadline) private view {
        if (block.timestamp < deadline) revert WindowOpen(batchId, deadline, uint64(block.timestamp));
    }
}
