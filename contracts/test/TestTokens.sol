// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A plain mintable ERC-20 for tests.
contract TestToken is ERC20 {
    constructor() ERC20("Test Token", "TST") {}

    /// @notice Mint `amount` to `to`; anyone may, it is a test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Burns `feeBps` of every transfer, so the receiver gets less than was sent.
contract FeeOnTransferToken is ERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        feeBps = feeBps_;
    }

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = (value * feeBps) / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}

/// @notice Like USDT: `transfer`, `transferFrom` and `approve` return nothing.
contract NoReturnToken {
    string public constant name = "No Return Token";
    string public constant symbol = "NRT";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Approve without a return value.
    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    /// @notice Transfer without a return value.
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    /// @notice Transfer from without a return value.
    function transferFrom(address from, address to, uint256 amount) external {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

/// @notice Returns false instead of reverting when a transfer cannot happen, or always when told to.
contract FalseReturningToken is ERC20 {
    bool public failing;

    constructor() ERC20("False Token", "FLS") {}

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Make every later transfer return false.
    function setFailing(bool failing_) external {
        failing = failing_;
    }

    function transfer(address to, uint256 amount) public override returns (bool) {
        if (failing) return false;
        return super.transfer(to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) public override returns (bool) {
        if (failing) return false;
        return super.transferFrom(from, to, amount);
    }
}

/// @notice Calls back into a target during every transfer, to try reentrancy.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public callbackData;
    bool public lastCallbackSucceeded;
    bytes public lastCallbackResult;
    bool private _entered;

    constructor() ERC20("Reentrant Token", "RNT") {}

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Call `target` with `data` on each transfer (empty data turns it off).
    function setCallback(address target_, bytes calldata data) external {
        target = target_;
        callbackData = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (callbackData.length != 0 && !_entered) {
            _entered = true;
            (lastCallbackSucceeded, lastCallbackResult) = target.call(callbackData);
            _entered = false;
        }
    }
}

/// @notice An ETH receiver that re-enters a target when paid, or refuses ETH.
contract ReentrantReceiver {
    address public target;
    bytes public callbackData;
    bool public refuseEth;
    bool public lastCallbackSucceeded;
    bytes public lastCallbackResult;

    /// @notice Call `target` with `data` when ETH arrives.
    function setCallback(address target_, bytes calldata data) external {
        target = target_;
        callbackData = data;
    }

    /// @notice Make this contract revert on incoming ETH.
    function setRefuseEth(bool refuse) external {
        refuseEth = refuse;
    }

    /// @notice Forward any call to `to` with `value`, so tests can act as this contract.
    function execute(address to, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory result) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }

    receive() external payable {
        if (refuseEth) revert("ETH refused");
        if (callbackData.length != 0) {
            (lastCallbackSucceeded, lastCallbackResult) = target.call(callbackData);
        }
    }
}
