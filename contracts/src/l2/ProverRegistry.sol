// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title ProverRegistry
/// @notice Provers stake L2 VTY to join the pool. A prover is active while its bonded stake is at least `minStake`
///         and it has not exited. Unbonding takes `unbondingDelay` seconds, during which the stake can still be
///         slashed, so a prover cannot misbehave and leave before a dispute catches up with it.
/// @dev Conservation: `token.balanceOf(this) == totalBonded + totalUnbonding` (plus anything sent by plain transfer).
contract ProverRegistry is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice May slash stake (granted to the dispute contract).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice Longest unbonding delay the admin may set (a bound on how long stake can be held).
    uint256 public constant MAX_UNBONDING_DELAY = 60 days;

    /// @notice A prover's stake.
    /// @param bonded Stake that counts toward `minStake`.
    /// @param unbonding Stake on its way out, withdrawable from `unbondingReadyAt`, still slashable until then.
    /// @param unbondingReadyAt When the unbonding stake may be withdrawn.
    /// @param exited Set when an unbond leaves less than `minStake` bonded; cleared by staking again. Keeps a prover
    ///        that chose to leave from becoming active again if the admin lowers `minStake`.
    struct Stake {
        uint128 bonded;
        uint128 unbonding;
        uint64 unbondingReadyAt;
        bool exited;
    }

    /// @notice The L2 VTY token.
    IERC20 public immutable token;
    /// @notice Bonded stake a prover needs to be active.
    uint256 public minStake;
    /// @notice Seconds between `requestUnbond` and `withdrawUnbonded`.
    uint256 public unbondingDelay;
    /// @notice Sum of bonded stake.
    uint256 public totalBonded;
    /// @notice Sum of unbonding stake.
    uint256 public totalUnbonding;

    mapping(address prover => Stake) private _stakes;

    /// @notice `prover` added `amount` to its bonded stake.
    event Staked(address indexed prover, uint256 amount, uint256 bonded);
    /// @notice `prover` moved `amount` from bonded to unbonding, withdrawable at `readyAt`.
    event UnbondRequested(address indexed prover, uint256 amount, uint256 readyAt);
    /// @notice `prover` withdrew `amount` of unbonded stake.
    event UnbondedWithdrawn(address indexed prover, uint256 amount);
    /// @notice `prover` lost `amount` (from bonded, then unbonding stake), sent to `recipient`.
    event Slashed(address indexed prover, uint256 amount, address indexed recipient, address indexed slasher);
    /// @notice `minStake` changed.
    event MinStakeSet(uint256 minStake);
    /// @notice `unbondingDelay` changed.
    event UnbondingDelaySet(uint256 unbondingDelay);

    /// @notice Zero amount.
    error ZeroAmount();
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice More than the bonded stake.
    error InsufficientBonded(uint256 bonded, uint256 amount);
    /// @notice Nothing is unbonding.
    error NothingUnbonding();
    /// @notice The unbonding delay has not passed.
    error UnbondingNotReady(uint256 readyAt);
    /// @notice Delay above MAX_UNBONDING_DELAY.
    error DelayTooLong(uint256 delay);
    /// @notice A stake that does not fit 128 bits.
    error AmountTooLarge(uint256 amount);

    /// @param token_ The L2 VTY token.
    /// @param minStake_ Bonded stake needed to be active.
    /// @param unbondingDelay_ Seconds an unbond waits (≤ MAX_UNBONDING_DELAY).
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants SLASHER_ROLE, sets parameters).
    constructor(IERC20 token_, uint256 minStake_, uint256 unbondingDelay_, address admin) {
        if (address(token_) == address(0) || admin == address(0)) revert ZeroAddress();
        if (unbondingDelay_ > MAX_UNBONDING_DELAY) revert DelayTooLong(unbondingDelay_);
        token = token_;
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Adds `amount` VTY (approved to this contract) to the caller's bonded stake; rejoins after an exit.
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Stake storage s = _stakes[msg.sender];
        uint256 bonded = uint256(s.bonded) + amount;
        if (bonded > type(uint128).max) revert AmountTooLarge(amount);
        s.bonded = uint128(bonded);
        s.exited = false;
        totalBonded += amount;
        emit Staked(msg.sender, amount, bonded);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` of the caller's bonded stake. Any earlier unbonding stake joins it and waits
    ///         the full delay again (one queue per prover keeps accounting simple and slashing fair). Leaving less
    ///         than `minStake` bonded exits the pool.
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Stake storage s = _stakes[msg.sender];
        if (amount > s.bonded) revert InsufficientBonded(s.bonded, amount);
        s.bonded -= uint128(amount);
        s.unbonding += uint128(amount);
        uint256 readyAt = block.timestamp + unbondingDelay;
        s.unbondingReadyAt = uint64(readyAt);
        if (s.bonded < minStake) s.exited = true;
        totalBonded -= amount;
        totalUnbonding += amount;
        emit UnbondRequested(msg.sender, amount, readyAt);
    }

    /// @notice Withdraws the caller's unbonding stake once the delay has passed.
    function withdrawUnbonded() external nonReentrant {
        Stake storage s = _stakes[msg.sender];
        uint256 amount = s.unbonding;
        if (amount == 0) revert NothingUnbonding();
        if (block.timestamp < s.unbondingReadyAt) revert UnbondingNotReady(s.unbondingReadyAt);
        s.unbonding = 0;
        s.unbondingReadyAt = 0;
        totalUnbonding -= amount;
        emit UnbondedWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Takes up to `amount` of `prover`'s stake, bonded first, then unbonding, and sends it to `recipient`.
    ///         SLASHER_ROLE only. Slashing more than the prover has takes everything it has.
    /// @return slashed What was actually taken.
    function slash(address prover, uint256 amount, address recipient)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
        returns (uint256 slashed)
    {
        if (recipient == address(0)) revert ZeroAddress();
        Stake storage s = _stakes[prover];
        uint256 fromBonded = amount < s.bonded ? amount : s.bonded;
        uint256 rest = amount - fromBonded;
        uint256 fromUnbonding = rest < s.unbonding ? rest : s.unbonding;
        s.bonded -= uint128(fromBonded);
        s.unbonding -= uint128(fromUnbonding);
        totalBonded -= fromBonded;
        totalUnbonding -= fromUnbonding;
        slashed = fromBonded + fromUnbonding;
        emit Slashed(prover, slashed, recipient, msg.sender);
        if (slashed > 0) token.safeTransfer(recipient, slashed);
    }

    /// @notice Sets the bonded stake needed to be active.
    function setMinStake(uint256 minStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        minStake = minStake_;
        emit MinStakeSet(minStake_);
    }

    /// @notice Sets the unbonding delay for unbonds requested from now on.
    function setUnbondingDelay(uint256 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (delay > MAX_UNBONDING_DELAY) revert DelayTooLong(delay);
        unbondingDelay = delay;
        emit UnbondingDelaySet(delay);
    }

    /// @notice Whether `prover` may take jobs: bonded stake ≥ minStake and not exited.
    function isActive(address prover) external view returns (bool) {
        Stake storage s = _stakes[prover];
        return !s.exited && s.bonded >= minStake && s.bonded > 0;
    }

    /// @notice `prover`'s bonded stake.
    function stakeOf(address prover) external view returns (uint256) {
        return _stakes[prover].bonded;
    }

    /// @notice `prover`'s whole stake record.
    function stakeInfoOf(address prover) external view returns (Stake memory) {
        return _stakes[prover];
    }
}
