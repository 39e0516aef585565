// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice Test-only: many view calls answered by one `eth_call`, so a stateful test can
/// read everything its invariants need in one round trip per step. (Ganache answers a
/// JSON-RPC batch of calls no faster than the same calls one by one.)
contract ReadAggregator {
    /// @notice One view call: `data` (selector and arguments) sent to `target`.
    struct Read {
        address target;
        bytes data;
    }

    /// @notice Read number `index` reverted with `reason`.
    error ReadFailed(uint256 index, bytes reason);

    /// @notice Staticcall every read and return the raw results, in order.
    /// @param reads The calls to make.
    /// @return results Each call's return data.
    function readAll(Read[] calldata reads) external view returns (bytes[] memory results) {
        results = new bytes[](reads.length);
        for (uint256 i = 0; i < reads.length; ++i) {
            (bool ok, bytes memory result) = reads[i].target.staticcall(reads[i].data);
            if (!ok) revert ReadFailed(i, result);
            results[i] = result;
        }
    }

    /// @notice The ether balance of `account` (so balances can be read in the same batch).
    /// @param account Any address.
    /// @return The balance in wei.
    function ethBalance(address account) external view returns (uint256) {
        return account.balance;
    }
}
