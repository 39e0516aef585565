// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice What ChallengeTeams needs from the escrow that deployed it.
interface IChallengeTeamsHost {
    /**
     * @notice Bind `account` (who accepted the terms and has not submitted) to `teamId`.
     * @param challengeId The challenge.
     * @param account The leader or member.
     * @param teamId The team.
     */
    function bindTeam(uint256 challengeId, address account, uint32 teamId) external;
    /**
     * @notice Release `account` from its team (the team is disbanded before submitting).
     * @param challengeId The challenge.
     * @param account The leader or member.
     * @param teamId The team.
     */
    function unbindTeam(uint256 challengeId, address account, uint32 teamId) external;
}

/**
 * @title ChallengeTeams
 * @notice Teams of solvers for ChallengeEscrow: a leader lists up to MAX_TEAM_SIZE - 1 other
 * members, each confirms (binding them to the team in the escrow), and the payout split
 * (EQUAL, or LEADER_HALF: half equal, half allocated by basis points) changes only when
 * every member approves the same proposal; a new proposal resets approvals.
 * @dev Deployed by ChallengeEscrow's constructor (it keeps the escrow under EIP-170);
 * the escrow asks `teamStatus` before a team submits and `payoutShares` when it pays.
 * Every loop runs over at most MAX_TEAM_SIZE (8) members.
 */
contract ChallengeTeams {
    /// @notice How a team's payout is divided among its members.
    enum SplitRule {
        Equal,
        LeaderHalf
    }

    /// @notice A team's stored record (one slot besides the challenge id).
    struct Team {
        uint256 challengeId;
        address leader;
        uint8 size;
        uint8 confirmedMask;
        uint8 approvalMask;
        SplitRule rule;
        SplitRule proposedRule;
        uint32 proposalNonce;
        bool proposalPending;
        bool disbanded;
    }

    /// @notice Largest team, leader included; keeps payout loops bounded.
    uint256 public constant MAX_TEAM_SIZE = 8;
    uint256 private constant BPS = 10_000;

    /// @notice The escrow this contract serves.
    IChallengeTeamsHost public immutable escrow;
    /// @notice Number of teams created; ids run from 1.
    uint32 public teamCount;

    mapping(uint256 teamId => Team) private _teams;
    // slither-disable-next-line uninitialized-state (filled by push through storage pointers in createTeam)
    mapping(uint256 teamId => address[]) private _members;
    mapping(uint256 teamId => uint16[]) private _bps;
    mapping(uint256 teamId => uint16[]) private _proposedBps;

    /// @notice No team has that id, or it was disbanded.
    error UnknownTeam(uint256 teamId);
    /// @notice Team membership list is invalid (size, duplicates, leader or zero listed).
    error InvalidTeam(uint256 size);
    /// @notice The split allocation does not fit the team or does not sum to 10,000 bps.
    error InvalidSplit(uint256 length, uint256 sum);
    /// @notice The account is not a member of the team.
    error NotTeamMember(uint256 teamId, address account);
    /// @notice Only the team's leader may do this.
    error NotTeamLeader(uint256 teamId, address caller);
    /// @notice The account already confirmed.
    error AlreadyConfirmed(uint256 teamId, address account);
    /// @notice The approval refers to an older or already applied proposal.
    error StaleProposal(uint256 teamId, uint32 current, uint32 given);

    /// @notice A team was formed; members must confirm.
    event TeamCreated(
        uint256 indexed teamId,
        uint256 indexed challengeId,
        address indexed leader,
        address[] members,
        SplitRule rule,
        uint16[] leaderBps
    );
    /// @notice `member` confirmed; `confirmedMask` has one bit per confirmed member (leader = bit 0).
    event TeamMemberConfirmed(uint256 indexed teamId, address indexed member, uint8 confirmedMask);
    /// @notice The leader disbanded the team before it submitted.
    event TeamDisbanded(uint256 indexed teamId, uint256 indexed challengeId);
    /// @notice A member proposed a new split; approvals restart.
    event SplitProposed(uint256 indexed teamId, uint32 indexed nonce, address proposer, SplitRule rule, uint16[] leaderBps);
    /// @notice `member` approved split proposal `nonce`.
    event SplitApproved(uint256 indexed teamId, uint32 indexed nonce, address indexed member, uint8 approvalMask);
    /// @notice Every member approved: this split is now in force.
    event SplitChanged(uint256 indexed teamId, uint32 indexed nonce, SplitRule rule, uint16[] leaderBps);

    constructor() {
        escrow = IChallengeTeamsHost(msg.sender);
    }

    /**
     * @notice Form a team for a challenge; the caller leads it and must have accepted the terms.
     * @param challengeId The challenge.
     * @param members The other members (1..7, distinct, without the leader).
     * @param rule The payout split.
     * @param leaderBps For LeaderHalf: the allocation of the second half per member (leader
     * first), summing to 10,000; empty for Equal.
     * @return teamId The new team's id.
     */
    function createTeam(uint256 challengeId, address[] calldata members, SplitRule rule, uint16[] calldata leaderBps)
        external
        returns (uint32 teamId)
    {
        uint256 size = members.length + 1;
        if (size < 2 || size > MAX_TEAM_SIZE) revert InvalidTeam(size);
        _checkSplit(rule, leaderBps, size);
        teamId = ++teamCount;
        address[] storage list = _members[teamId];
        list.push(msg.sender);
        for (uint256 i; i < members.length; ++i) {
            address member = members[i];
            if (member == msg.sender || member == address(0)) revert InvalidTeam(size);
            for (uint256 j; j < i; ++j) {
                if (members[j] == member) revert InvalidTeam(size);
            }
            list.push(member);
        }
        Team storage t = _teams[teamId];
        t.challengeId = challengeId;
        t.leader = msg.sender;
        t.size = uint8(size);
        t.confirmedMask = 1;
        t.rule = rule;
        if (rule == SplitRule.LeaderHalf) _bps[teamId] = leaderBps;
        emit TeamCreated(teamId, challengeId, msg.sender, members, rule, leaderBps);
        escrow.bindTeam(challengeId, msg.sender, teamId);
    }

    /**
     * @notice Confirm membership (and the split in force); the member must have accepted the terms.
     * @param teamId The team.
     */
    function confirmMembership(uint32 teamId) external {
        Team storage t = _liveTeam(teamId);
        uint8 bit = uint8(1 << _memberIndex(teamId, msg.sender));
        if (t.confirmedMask & bit != 0) revert AlreadyConfirmed(teamId, msg.sender);
        t.confirmedMask |= bit;
        emit TeamMemberConfirmed(teamId, msg.sender, t.confirmedMask);
        escrow.bindTeam(t.challengeId, msg.sender, teamId);
    }

    /**
     * @notice The leader disbands a team that has not submitted; confirmed members become free again.
     * @param teamId The team.
     */
    function disbandTeam(uint32 teamId) external {
        Team storage t = _liveTeam(teamId);
        if (msg.sender != t.leader) revert NotTeamLeader(teamId, msg.sender);
        t.disbanded = true;
        emit TeamDisbanded(teamId, t.challengeId);
        address[] storage list = _members[teamId];
        for (uint256 i; i < list.length; ++i) {
            // The escrow refuses when the team already submitted, reverting the whole disband.
            if (t.confirmedMask & (1 << i) != 0) escrow.unbindTeam(t.challengeId, list[i], teamId);
        }
    }

    /**
     * @notice A member proposes a new split; an earlier proposal and its approvals are discarded.
     * The proposer's approval is counted.
     * @param teamId The team.
     * @param rule The proposed rule.
     * @param leaderBps The proposed allocation (see createTeam).
     * @return nonce The proposal's number, to approve.
     */
    function proposeSplit(uint32 teamId, SplitRule rule, uint16[] calldata leaderBps) external returns (uint32 nonce) {
        Team storage t = _liveTeam(teamId);
        uint256 index = _memberIndex(teamId, msg.sender);
        _checkSplit(rule, leaderBps, t.size);
        nonce = ++t.proposalNonce;
        t.proposalPending = true;
        t.proposedRule = rule;
        t.approvalMask = 0;
        _proposedBps[teamId] = leaderBps;
        emit SplitProposed(teamId, nonce, msg.sender, rule, leaderBps);
        _approve(teamId, t, index, nonce);
    }

    /**
     * @notice Approve split proposal `nonce`; the last approval puts it in force.
     * @param teamId The team.
     * @param nonce The proposal number from SplitProposed.
     */
    function approveSplit(uint32 teamId, uint32 nonce) external {
        Team storage t = _liveTeam(teamId);
        if (nonce != t.proposalNonce || !t.proposalPending) revert StaleProposal(teamId, t.proposalNonce, nonce);
        _approve(teamId, t, _memberIndex(teamId, msg.sender), nonce);
    }

    /**
     * @notice Whether a team may submit: its leader, and whether every member confirmed.
     * @param teamId The team.
     * @return leader The team's leader (zero if unknown or disbanded).
     * @return confirmed True when every member confirmed.
     */
    function teamStatus(uint32 teamId) external view returns (address leader, bool confirmed) {
        Team storage t = _teams[teamId];
        if (t.disbanded) return (address(0), false);
        return (t.leader, t.confirmedMask == _fullMask(t.size));
    }

    /**
     * @notice How `amount` is split among the team's members under the rule in force; the shares
     * sum to `amount` exactly (the leader takes the rounding remainder).
     * @param teamId The team.
     * @param amount The payout.
     * @return members The members, leader first.
     * @return shares Each member's share.
     */
    function payoutShares(uint32 teamId, uint256 amount)
        external
        view
        returns (address[] memory members, uint256[] memory shares)
    {
        members = _members[teamId];
        uint256 size = members.length;
        shares = new uint256[](size);
        uint256 equalPart = _teams[teamId].rule == SplitRule.Equal ? amount : amount / 2;
        uint256 allocatedPart = amount - equalPart;
        uint256 each = equalPart / size;
        uint16[] storage bps = _bps[teamId];
        uint256 paid = 0;
        for (uint256 i = 1; i < size; ++i) {
            uint256 share = each;
            if (allocatedPart != 0) share += (allocatedPart * bps[i]) / BPS;
            shares[i] = share;
            paid += share;
        }
        shares[0] = amount - paid;
    }

    /**
     * @notice A team's record, members, split in force and pending proposal.
     * @param teamId The team.
     * @return team The record.
     * @return members Members, leader first.
     * @return leaderBps The allocation in force (LeaderHalf).
     * @return proposedBps The pending proposal's allocation.
     */
    function getTeam(uint32 teamId)
        external
        view
        returns (Team memory team, address[] memory members, uint16[] memory leaderBps, uint16[] memory proposedBps)
    {
        return (_teams[teamId], _members[teamId], _bps[teamId], _proposedBps[teamId]);
    }

    function _liveTeam(uint256 teamId) private view returns (Team storage t) {
        t = _teams[teamId];
        if (t.leader == address(0) || t.disbanded) revert UnknownTeam(teamId);
    }

    function _memberIndex(uint256 teamId, address account) private view returns (uint256) {
        address[] storage list = _members[teamId];
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == account) return i;
        }
        revert NotTeamMember(teamId, account);
    }

    function _fullMask(uint8 size) private pure returns (uint8) {
        return uint8((uint256(1) << size) - 1);
    }

    function _checkSplit(SplitRule rule, uint16[] calldata leaderBps, uint256 size) private pure {
        if (rule == SplitRule.Equal) {
            if (leaderBps.length != 0) revert InvalidSplit(leaderBps.length, 0);
            return;
        }
        uint256 sum = 0;
        for (uint256 i; i < leaderBps.length; ++i) {
            sum += leaderBps[i];
        }
        if (leaderBps.length != size || sum != BPS) revert InvalidSplit(leaderBps.length, sum);
    }

    function _approve(uint256 teamId, Team storage t, uint256 index, uint32 nonce) private {
        uint8 mask = t.approvalMask | uint8(1 << index);
        emit SplitApproved(teamId, nonce, _members[teamId][index], mask);
        if (mask != _fullMask(t.size)) {
            t.approvalMask = mask;
            return;
        }
        t.rule = t.proposedRule;
        t.approvalMask = 0;
        t.proposalPending = false; // the next change needs a fresh proposal
        uint16[] memory proposed = _proposedBps[teamId];
        _bps[teamId] = proposed;
        delete _proposedBps[teamId];
        emit SplitChanged(teamId, nonce, t.rule, proposed);
    }
}
