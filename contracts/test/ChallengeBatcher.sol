// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ChallengeEscrow} from "../ChallengeEscrow.sol";

/// @notice Benchmark-only seeker: creates many real ChallengeEscrow challenges in one
/// transaction, so a benchmark can put 10,000 challenges on a chain in seconds. The
/// escrow's own events are emitted; this contract is the seeker of each challenge.
contract ChallengeBatcher {
    /// @notice Create `count` ETH challenges from `terms`, cycling through `metadataCids` (and
    /// their `metadataHashes`), spreading deadlines an hour apart; every fourth one is an RFP.
    /// @param escrow The escrow to create the challenges in.
    /// @param terms The template: `slotAmounts` must be one slot, paid from this call's value.
    /// @param metadataCids Metadata CIDs to cycle through.
    /// @param metadataHashes The metadata hashes matching `metadataCids`.
    /// @param count How many challenges to create.
    function createMany(
        ChallengeEscrow escrow,
        ChallengeEscrow.ChallengeTerms calldata terms,
        bytes[] calldata metadataCids,
        bytes32[] calldata metadataHashes,
        uint256 count
    ) external payable {
        ChallengeEscrow.ChallengeTerms memory current = terms;
        uint256[] memory noSlots = new uint256[](0);
        uint256 first = escrow.challengeCount();
        for (uint256 i = 0; i < count; ++i) {
            uint256 n = first + i;
            bool rfp = n % 4 == 3;
            current.kind = rfp ? ChallengeEscrow.ChallengeType.Rfp : terms.kind;
            current.slotAmounts = rfp ? noSlots : terms.slotAmounts;
            current.submissionDeadline = terms.submissionDeadline + uint64(n % 1000) * 1 hours;
            current.evaluationDeadline = terms.evaluationDeadline + uint64(n % 1000) * 1 hours;
            current.metadataCid = metadataCids[n % metadataCids.length];
            current.metadataHash = metadataHashes[n % metadataHashes.length];
            escrow.createChallenge{value: rfp ? 0 : terms.slotAmounts[0]}(current);
        }
    }

    /// @notice Cancel challenges this contract created (nobody may have accepted them yet).
    /// @param escrow The escrow holding them.
    /// @param challengeIds The challenges to cancel.
    function cancelMany(ChallengeEscrow escrow, uint256[] calldata challengeIds) external {
        for (uint256 i = 0; i < challengeIds.length; ++i) {
            escrow.cancel(challengeIds[i]);
        }
    }

    /// @notice Refunds of cancelled challenges arrive here.
    receive() external payable {}
}
