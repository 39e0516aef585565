// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice Test-only contract that emits events on demand, so the backend's indexer can be
/// tested against a real chain: single events with every kind of argument, and many per transaction.
contract IndexerProbe {
    /// @notice One event with an argument of each ABI kind the indexer has to store as JSON.
    event Pinged(
        uint256 indexed id, address indexed sender, uint256 amount, int256 delta, bytes32 tag, bytes data, string note
    );

    /// @notice One of many events of a single `emitMany` call.
    event Counted(uint256 indexed batch, uint256 index, uint256 square);

    uint256 public pings;
    uint256 public batches;

    /// @notice Emit one `Pinged` with the given values.
    /// @param amount An unsigned value, stored by the indexer as a decimal string.
    /// @param delta A signed value, negative ones included.
    /// @param data Raw bytes, stored as 0x-hex.
    /// @param note A string.
    function ping(uint256 amount, int256 delta, bytes calldata data, string calldata note) external {
        emit Pinged(pings++, msg.sender, amount, delta, keccak256(data), data, note);
    }

    /// @notice Emit `count` `Counted` events in this one transaction.
    /// @param count How many events to emit.
    function emitMany(uint256 count) external {
        uint256 batch = batches++;
        for (uint256 i = 0; i < count; ++i) {
            emit Counted(batch, i, i * i);
        }
    }
}
