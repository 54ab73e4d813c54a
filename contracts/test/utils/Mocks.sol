// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice Stand-in for the L2 VTY (an OptimismMintableERC20: plain ERC20, no permit) with open minting for tests.
contract MockVTY is ERC20 {
    constructor() ERC20("Verity", "VTY") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Records what InferenceSettlement sends to L2 (outside the system under test): messages through the
///         L1CrossDomainMessenger, and deposit transactions through its OptimismPortal (this contract plays both).
contract MockL1Messenger {
    struct Sent {
        address target;
        bytes message;
        uint32 minGasLimit;
        address sender;
        /// A portal deposit (runs on L2 from the sender's aliased address), not a messenger message.
        bool deposit;
    }

    Sent[] internal _sent;

    function sendMessage(address target, bytes calldata message, uint32 minGasLimit) external payable {
        _sent.push(Sent(target, message, minGasLimit, msg.sender, false));
    }

    function portal() external view returns (address) {
        return address(this);
    }

    function depositTransaction(address to, uint256, uint64 gasLimit, bool, bytes calldata data) external payable {
        _sent.push(Sent(to, data, uint32(gasLimit), msg.sender, true));
    }

    function xDomainMessageSender() external pure returns (address) {
        revert("xDomainMessageSender is not set");
    }

    function sentCount() external view returns (uint256) {
        return _sent.length;
    }

    function sent(uint256 i) external view returns (Sent memory) {
        return _sent[i];
    }
}

/// @notice Plays the L2CrossDomainMessenger: relays a message "from" an L1 sender, exposes xDomainMessageSender only
///         during the call, and, like OP's messenger, keeps a message that reverted replayable (once it succeeds it
///         can never run again).
contract MockL2Messenger {
    address private constant NOT_SET = address(0x000000000000000000000000000000000000dEaD);
    address private _sender = NOT_SET;
    mapping(bytes32 => bool) public failedMessages;
    mapping(bytes32 => bool) public successfulMessages;

    function xDomainMessageSender() external view returns (address) {
        require(_sender != NOT_SET, "xDomainMessageSender is not set");
        return _sender;
    }

    /// @return success Whether the target call succeeded (a failure is recorded, not bubbled, as OP does).
    function relayMessage(address l1Sender, address target, bytes calldata message) public returns (bool success) {
        bytes32 hash = keccak256(abi.encode(l1Sender, target, message));
        require(!successfulMessages[hash], "message already relayed");
        _sender = l1Sender;
        (success,) = target.call(message);
        _sender = NOT_SET;
        if (success) {
            successfulMessages[hash] = true;
            failedMessages[hash] = false;
        } else {
            failedMessages[hash] = true;
        }
    }

    /// @notice Replays a message that failed before (anyone may, as on OP).
    function replayMessage(address l1Sender, address target, bytes calldata message) external returns (bool) {
        require(failedMessages[keccak256(abi.encode(l1Sender, target, message))], "message cannot be replayed");
        return relayMessage(l1Sender, target, message);
    }
}

/// @notice A smart-contract requester: ERC-1271 wallet with one EOA owner.
contract OwnedWallet {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer,,) = ECDSA.tryRecover(hash, signature);
        return signer == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }

    function call(address target, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "not owner");
        (bool ok, bytes memory result) = target.call(data);
        require(ok, "call failed");
        return result;
    }
}

/// @notice An ERC-1271 wallet that burns all the gas it gets: must not be able to stall a batch of requests.
contract GasBurningWallet {
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        uint256 x;
        while (gasleft() > 0) x = uint256(keccak256(abi.encode(x)));
        return bytes4(0x1626ba7e);
    }
}

/// @dev OptimismPortal's address aliasing: the L2 sender of a deposit made by L1 contract `l1`.
function aliasOf(address l1) pure returns (address) {
    unchecked {
        return address(uint160(l1) + uint160(0x1111000000000000000000000000000000001111));
    }
}
