// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {StorageSlot} from "@openzeppelin/contracts/utils/StorageSlot.sol";

/**
 * @title EscrowFunds
 * @notice Money movement shared by Crowdbounty's escrows: taking ETH or ERC-20 in,
 * crediting balances that their owners withdraw (pull payments), and sending out.
 * @dev `address(0)` stands for ETH. Incoming ERC-20 amounts are measured by balance
 * difference, so a fee-on-transfer token is credited by what actually arrived; callers
 * that need an exact amount compare the return value. Every function that moves value
 * is `nonReentrant` in the inheriting contract or here.
 *
 * The reentrancy guard is OpenZeppelin's ReentrancyGuard (same storage slot, same values)
 * behind three virtual hooks, so that an escrow can keep its lock in a storage word that its
 * guarded calls write anyway (transient storage is not available on shanghai).
 */
abstract contract EscrowFunds {
    using SafeERC20 for IERC20;
    using StorageSlot for bytes32;

    // OpenZeppelin ReentrancyGuard's ERC-7201 slot:
    // keccak256(abi.encode(uint256(keccak256("openzeppelin.storage.ReentrancyGuard")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant REENTRANCY_GUARD_STORAGE =
        0x9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00;
    uint256 internal constant NOT_ENTERED = 1;
    uint256 internal constant ENTERED = 2;

    /// @notice The token address that denotes ETH.
    address public constant NATIVE = address(0);

    mapping(address token => mapping(address account => uint256 amount)) private _withdrawable;

    /// @notice ETH sent does not match the amount the call names.
    error EthAmountMismatch(uint256 sent, uint256 expected);
    /// @notice ETH was sent to a call that pays in an ERC-20 token.
    error EthNotAccepted();
    /// @notice The account has nothing to withdraw in that token.
    error NothingToWithdraw(address account, address token);
    /// @notice Sending ETH to the account failed.
    error EthTransferFailed(address to, uint256 amount);
    /// @notice A `nonReentrant` function was entered again before it returned.
    error ReentrancyGuardReentrantCall();

    /// @notice `account` withdrew `amount` of `token`.
    event Withdrawn(address indexed account, address indexed token, uint256 amount);

    constructor() {
        _initReentrancyGuard();
    }

    /// @dev Prevents a contract from calling itself, directly or indirectly.
    modifier nonReentrant() {
        _enterNonReentrant();
        _;
        _exitNonReentrant();
    }

    /**
     * @notice What `account` can withdraw in `token` now.
     * @param token The token, `address(0)` for ETH.
     * @param account The owner of the balance.
     * @return The amount `withdraw(token)` would pay `account`.
     */
    function withdrawable(address token, address account) external view returns (uint256) {
        return _withdrawable[token][account];
    }

    /**
     * @notice Pay the caller everything credited to them in `token`.
     * @param token The token, `address(0)` for ETH.
     * @return amount The amount paid.
     */
    function withdraw(address token) external nonReentrant returns (uint256 amount) {
        amount = _withdrawable[token][msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender, token);
        _withdrawable[token][msg.sender] = 0;
        _beforeWithdraw(token, amount);
        emit Withdrawn(msg.sender, token, amount);
        _send(token, msg.sender, amount);
    }

    /// @dev Take `amount` of `token` from `from`; returns what actually arrived.
    function _receive(address token, address from, uint256 amount) internal returns (uint256 received) {
        if (token == NATIVE) {
            if (msg.value != amount) revert EthAmountMismatch(msg.value, amount);
            return amount;
        }
        if (msg.value != 0) revert EthNotAccepted();
        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(address(this));
        erc20.safeTransferFrom(from, address(this), amount);
        received = erc20.balanceOf(address(this)) - before;
    }

    /// @dev Send `amount` of `token` to `to`. Call only after all state changes (CEI).
    function _send(address token, address to, uint256 amount) internal {
        if (token == NATIVE) {
            // slither-disable-next-line arbitrary-send-eth (`to` is whoever is owed: the caller of withdraw, or a voucher's worker)
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @dev Credit `amount` of `token` to `account`, to be withdrawn later.
    function _credit(address token, address account, uint256 amount) internal {
        _withdrawable[token][account] += amount;
    }

    /// @dev Set the guard to "not entered" (non-zero, so that every lock and unlock is a cheap
    /// non-zero write with a refund, as in OpenZeppelin's ReentrancyGuard).
    function _initReentrancyGuard() internal virtual {
        REENTRANCY_GUARD_STORAGE.getUint256Slot().value = NOT_ENTERED;
    }

    /// @dev Revert if a guarded call is in progress, else mark one as in progress.
    function _enterNonReentrant() internal virtual {
        StorageSlot.Uint256Slot storage status = REENTRANCY_GUARD_STORAGE.getUint256Slot();
        if (status.value == ENTERED) revert ReentrancyGuardReentrantCall();
        status.value = ENTERED;
    }

    /// @dev Mark the guarded call as finished.
    function _exitNonReentrant() internal virtual {
        REENTRANCY_GUARD_STORAGE.getUint256Slot().value = NOT_ENTERED;
    }

    /// @dev Hook for inheriting contracts that track their total liabilities per token.
    function _beforeWithdraw(address token, uint256 amount) internal virtual {}
}
