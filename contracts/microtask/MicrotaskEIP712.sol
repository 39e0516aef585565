// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/**
 * @title MicrotaskEIP712
 * @notice Minimal EIP-712 domain (name, version, chainId, verifyingContract) with ERC-5267.
 * @dev OpenZeppelin 5.7's `EIP712` imports `Strings` -> `Bytes`, which uses `mcopy`
 * (Cancun) and does not compile for our `shanghai` target, hence this small copy. The
 * separator is cached and recomputed only if the chain id changes (a fork).
 */
abstract contract MicrotaskEIP712 {
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    bytes32 private immutable _hashedName;
    bytes32 private immutable _hashedVersion;
    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;
    string private _name;
    string private _version;

    constructor(string memory name_, string memory version_) {
        _name = name_;
        _version = version_;
        _hashedName = keccak256(bytes(name_));
        _hashedVersion = keccak256(bytes(version_));
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /**
     * @notice The EIP-712 domain, as ERC-5267 describes it.
     * @return fields 0x0f: name, version, chainId and verifyingContract are set.
     * @return name The domain name.
     * @return version The domain version.
     * @return chainId The chain id.
     * @return verifyingContract This contract.
     * @return salt Unused (zero).
     * @return extensions Unused (empty).
     */
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", _name, _version, block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @dev The domain separator of the current chain.
    function _domainSeparatorV4() internal view returns (bytes32) {
        // gas: the cached immutable unless the chain forked
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @dev `keccak256("\x19\x01" || domainSeparator || structHash)`.
    function _hashTypedDataV4(bytes32 structHash) internal view returns (bytes32 digest) {
        bytes32 separator = _domainSeparatorV4();
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), structHash)
            digest := keccak256(ptr, 0x42)
        }
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _hashedName, _hashedVersion, block.chainid, address(this)));
    }
}
