// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ICrossDomainMessenger, ISettledBatchReceiver} from "../common/ICrossDomainMessenger.sol";
import {IPoseidonT6} from "../common/IPoseidonT6.sol";
import {Job, SNARK_SCALAR_FIELD} from "../common/Job.sol";

/// @title InferenceMarket
/// @notice Verity's market on L2: requesters keep a prepaid VTY balance, sign EIP-712 job requests that move a
///         reward (plus the protocol fee) into escrow, and escrow is released to the prover only for jobs whose proof
///         L1 verified (InferenceSettlement → OP messenger → `recordSettledBatch`), or refunded after the deadline.
/// @dev Conservation: `token.balanceOf(this) == totalBalances + totalEscrow` after every call (tokens sent to the
///      contract by plain transfer are the only way to make the left side larger). Each job is paid at most once:
///      only an Open job is released or refunded, and both end its Open status.
contract InferenceMarket is ISettledBatchReceiver, EIP712, Ownable2Step, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The EIP-712 type of what a requester signs.
    bytes32 public constant JOB_REQUEST_TYPEHASH = keccak256(
        "JobRequest(uint256 modelId,uint256 inputCommitment,uint256 reward,uint256 maxFee,uint64 deadline,uint256 nonce)"
    );
    /// @notice Largest protocol fee, in basis points of the reward (10%).
    uint256 public constant MAX_FEE_BPS = 1000;
    /// @notice Gas an ERC-1271 wallet may use to check a signature: a wallet that burns more cannot stall a batch.
    uint256 public constant ERC1271_GAS_LIMIT = 100_000;

    /// @notice A signed request as submitted: the EIP-712 JobRequest fields plus the signer.
    struct OpenRequest {
        uint256 modelId;
        uint256 inputCommitment;
        uint256 reward;
        uint256 maxFee;
        uint64 deadline;
        uint256 nonce;
        address requester;
    }

    /// @notice Lifecycle of a job; None means the id was never opened.
    enum JobStatus {
        None,
        Open,
        Released,
        Refunded
    }

    /// @notice Why a request was skipped by `openJobs`.
    enum RejectReason {
        Expired,
        BadSignature,
        NonceUsed,
        FeeAboveMax,
        InsufficientBalance,
        ZeroReward,
        OutOfField,
        JobExists,
        RewardTooLarge
    }

    /// @notice Why a settled job was not paid by `releaseBatch`.
    enum SkipReason {
        NotOpen,
        TermsMismatch
    }

    /// @notice A job as the market knows it.
    struct MarketJob {
        address requester;
        uint64 deadline;
        JobStatus status;
        uint128 reward;
        uint128 fee;
        uint256 modelId;
        uint256 inputCommitment;
        address prover;
        uint256 outputCommitment;
    }

    /// @notice A batch L1 settled, as recorded from the messenger.
    struct SettledBatch {
        bytes32 hash;
        uint64 jobCount;
        bool released;
    }

    /// @notice A batch L1 settled with one batch proof (InferenceSettlement.settleProvenBatch), as recorded from its
    ///         deposit: the Poseidon chain hash of its jobs' tuples, their model and count.
    struct ProvenBatch {
        uint256 hash;
        uint256 modelId;
        uint64 jobCount;
        bool released;
    }

    /// @notice One job of a proven batch as the releaser names it, in the batch's order: what the market does not
    ///         know before release (the prover, the output commitment). The input commitment comes from the
    ///         market's own record of the job, so the batch hash can only match the inputs the requesters signed.
    struct ProvenJob {
        uint256 jobId;
        address prover;
        uint256 outputCommitment;
    }

    /// @notice The L2 VTY token (OptimismMintableERC20).
    IERC20 public immutable token;
    /// @notice The L2CrossDomainMessenger predeploy.
    ICrossDomainMessenger public immutable l2Messenger;
    /// @notice Seconds after a job's deadline before it may be refunded, so a release already in flight can land.
    uint256 public immutable refundDelay;
    /// @notice Recomputes proven batches' hashes (the batch circuit's Poseidon chain).
    IPoseidonT6 public immutable poseidon;

    /// @notice The InferenceSettlement contract on L1: the only sender whose messages release escrow.
    address public l1Settlement;
    /// @notice Receives the protocol fee of each released job.
    address public treasury;
    /// @notice Protocol fee in basis points of the reward.
    uint256 public feeBps;

    /// @notice Prepaid balance of each account.
    mapping(address account => uint256) public balances;
    /// @notice Sum of all prepaid balances.
    uint256 public totalBalances;
    /// @notice Sum of reward + fee over all Open jobs.
    uint256 public totalEscrow;

    mapping(uint256 jobId => MarketJob) private _jobs;
    mapping(uint256 batchId => SettledBatch) private _batches;
    mapping(uint256 batchId => ProvenBatch) private _provenBatches;
    // Unordered nonces as a bitmap: word = nonce >> 8, bit = nonce & 255 (a nonce next to a used one costs 5k, not 22k).
    mapping(address requester => mapping(uint256 word => uint256 bits)) private _nonceBitmap;

    /// @notice `account`'s prepaid balance grew by `amount`, paid by `from`.
    event Deposited(address indexed account, address indexed from, uint256 amount);
    /// @notice `account` withdrew `amount` from its prepaid balance.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice A job was opened: `reward + fee` moved from the requester's balance into escrow.
    event JobOpened(
        uint256 indexed jobId,
        address indexed requester,
        uint256 indexed modelId,
        uint256 inputCommitment,
        uint256 reward,
        uint256 fee,
        uint64 deadline
    );
    /// @notice A request in `openJobs` was skipped (nothing changed for it).
    event JobRejected(uint256 indexed jobId, address indexed requester, RejectReason reason);
    /// @notice L1 settled batch `batchId`; its jobs can now be released with `releaseBatch`.
    event BatchRecorded(uint256 indexed batchId, bytes32 batchHash, uint256 jobCount);
    /// @notice Batch `batchId` was released (each job paid or skipped).
    event BatchReleased(uint256 indexed batchId, uint256 paidJobs, uint256 totalReward, uint256 totalFee);
    /// @notice L1 verified one batch proof for `jobCount` jobs of `modelId` whose tuples chain-hash to `batchHash`.
    event ProvenBatchRecorded(uint256 indexed batchId, uint256 indexed modelId, uint256 batchHash, uint256 jobCount);
    /// @notice Job `jobId` was paid: `reward` to `prover`, `fee` to the treasury.
    event JobReleased(
        uint256 indexed jobId,
        address indexed prover,
        uint256 indexed batchId,
        uint256 outputCommitment,
        uint256 reward,
        uint256 fee
    );
    /// @notice A job of a settled batch was not paid.
    event JobReleaseSkipped(uint256 indexed jobId, SkipReason reason);
    /// @notice An expired job's escrow went back to its requester's balance.
    event JobRefunded(uint256 indexed jobId, address indexed requester, uint256 amount);
    /// @notice `requester` revoked a signed request with this nonce.
    event NonceCancelled(address indexed requester, uint256 nonce);
    /// @notice The L1 settlement address was set (once).
    event L1SettlementSet(address l1Settlement);
    /// @notice The fee changed.
    event FeeBpsSet(uint256 feeBps);
    /// @notice The treasury changed.
    event TreasurySet(address treasury);

    /// @notice `recordSettledBatch` came from somewhere other than InferenceSettlement through the messenger, or
    ///         `recordProvenBatch` from anything but the settlement's deposits (`l1Sender` then zero).
    error UnauthorizedSettlement(address caller, address l1Sender);
    /// @notice The L1 settlement address was already set, or is zero.
    error L1SettlementAlreadySet();
    /// @notice Zero is not a valid address here.
    error ZeroAddress();
    /// @notice Fee above MAX_FEE_BPS.
    error FeeTooHigh(uint256 feeBps);
    /// @notice Zero amount.
    error ZeroAmount();
    /// @notice Withdrawal above the prepaid balance.
    error InsufficientBalance(uint256 balance, uint256 amount);
    /// @notice `openJobs` got a different number of signatures than requests.
    error LengthMismatch(uint256 requests, uint256 signatures);
    /// @notice This batch id was already recorded.
    error BatchAlreadyRecorded(uint256 batchId);
    /// @notice No batch with this id was recorded.
    error BatchNotRecorded(uint256 batchId);
    /// @notice The batch was already released.
    error BatchAlreadyReleased(uint256 batchId);
    /// @notice The jobs given do not hash to the batch hash L1 sent.
    error BatchHashMismatch(uint256 batchId, bytes32 expected, bytes32 actual);
    /// @notice The job is not Open (never opened, or already released or refunded).
    error JobNotOpen(uint256 jobId);
    /// @notice The jobs named for a proven batch do not hash to what L1 verified.
    error ProvenBatchHashMismatch(uint256 batchId, uint256 expected, uint256 actual);
    /// @notice A proven batch is released with exactly as many jobs as its proof covered.
    error JobCountMismatch(uint256 batchId, uint256 expected, uint256 actual);
    /// @notice renounceOwnership is disabled.
    error RenounceDisabled();
    /// @notice Refund before deadline + refundDelay.
    error RefundTooEarly(uint256 jobId, uint256 allowedAfter);

    /// @param token_ The L2 VTY token.
    /// @param l2Messenger_ The L2CrossDomainMessenger (0x4200000000000000000000000000000000000007 on OP chains).
    /// @param treasury_ Receives protocol fees.
    /// @param feeBps_ Protocol fee in basis points (≤ MAX_FEE_BPS).
    /// @param refundDelay_ Seconds after a deadline before a refund.
    /// @param admin Owner: pauses, sets fee, treasury and (once) the L1 settlement address.
    /// @param poseidon_ The PoseidonT6 contract proven batches are hashed with.
    constructor(
        IERC20 token_,
        ICrossDomainMessenger l2Messenger_,
        address treasury_,
        uint256 feeBps_,
        uint256 refundDelay_,
        address admin,
        IPoseidonT6 poseidon_
    ) EIP712("Verity InferenceMarket", "1") Ownable(admin) {
        if (
            address(token_) == address(0) || address(l2Messenger_) == address(0) || treasury_ == address(0)
                || address(poseidon_) == address(0)
        ) {
            revert ZeroAddress();
        }
        poseidon = poseidon_;
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_);
        token = token_;
        l2Messenger = l2Messenger_;
        treasury = treasury_;
        feeBps = feeBps_;
        refundDelay = refundDelay_;
    }

    // ---------------------------------------------------------------- admin

    /// @notice Sets the L1 InferenceSettlement address, once (it is deployed after the market: it needs its address).
    function setL1Settlement(address settlement) external onlyOwner {
        if (l1Settlement != address(0) || settlement == address(0)) revert L1SettlementAlreadySet();
        l1Settlement = settlement;
        emit L1SettlementSet(settlement);
    }

    /// @notice Sets the protocol fee for jobs opened from now on (≤ MAX_FEE_BPS); open jobs keep theirs.
    function setFeeBps(uint256 feeBps_) external onlyOwner {
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_);
        feeBps = feeBps_;
        emit FeeBpsSet(feeBps_);
    }

    /// @notice Sets the fee recipient.
    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @notice Disabled: a market without an owner could never be unpaused, and paused it could never release escrow
    ///         to provers again. Hand the role over with transferOwnership / acceptOwnership instead.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @notice Stops openJobs, recordSettledBatch, releaseBatch, releaseProvenBatch and deposits. Withdrawals,
    ///         refunds and nonce cancellation keep working: a pause never locks anyone's money. recordProvenBatch
    ///         keeps working too (it moves no money, and a deposit is not replayed like a messenger message).
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lifts the pause. Release messages that failed while paused can be replayed through the messenger.
    function unpause() external onlyOwner {
        _unpause();
    }

    // ---------------------------------------------------------------- balances

    /// @notice Moves `amount` VTY from the caller into the caller's prepaid balance (needs an approval).
    function deposit(uint256 amount) external {
        _deposit(msg.sender, amount);
    }

    /// @notice Moves `amount` VTY from the caller into `account`'s prepaid balance.
    function depositFor(address account, uint256 amount) external {
        if (account == address(0)) revert ZeroAddress();
        _deposit(account, amount);
    }

    /// @notice Withdraws `amount` of the caller's prepaid balance. Never paused.
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = balances[msg.sender];
        if (amount > balance) revert InsufficientBalance(balance, amount);
        balances[msg.sender] = balance - amount;
        totalBalances -= amount;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    function _deposit(address account, uint256 amount) private whenNotPaused nonReentrant {
        if (amount == 0) revert ZeroAmount();
        balances[account] += amount;
        totalBalances += amount;
        emit Deposited(account, msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ---------------------------------------------------------------- requests

    /// @notice Opens the jobs of signed requests, moving each one's reward + fee from its requester's balance into
    ///         escrow. A request that cannot be opened is skipped with `JobRejected`, so one bad request never blocks
    ///         a batch. Anyone may submit (the sequencer does); only the signature authorizes spending.
    /// @param requests The requests, each with the address that signed it.
    /// @param signatures One signature per request: 65-byte ECDSA for an EOA, anything its ERC-1271 check takes for
    ///        a contract.
    function openJobs(OpenRequest[] calldata requests, bytes[] calldata signatures)
        external
        whenNotPaused
        nonReentrant
    {
        if (requests.length != signatures.length) {
            revert LengthMismatch(requests.length, signatures.length);
        }
        uint256 fee_ = feeBps;
        for (uint256 i = 0; i < requests.length; ++i) {
            _open(requests[i], signatures[i], fee_);
        }
    }

    function _open(OpenRequest calldata request, bytes calldata signature, uint256 bps) private {
        uint256 jobId;
        uint256 fee;
        {
            bytes32 digest = hashJobRequest(request);
            jobId = _jobId(digest, request.requester);
            bool ok;
            RejectReason reason;
            (ok, reason, fee) = _checkRequest(request, signature, digest, jobId, bps);
            if (!ok) {
                emit JobRejected(jobId, request.requester, reason);
                return;
            }
        }
        _escrow(jobId, request, fee);
        emit JobOpened(
            jobId, request.requester, request.modelId, request.inputCommitment, request.reward, fee, request.deadline
        );
    }

    function _escrow(uint256 jobId, OpenRequest calldata request, uint256 fee) private {
        address requester = request.requester;
        uint256 amount = request.reward + fee;
        _useNonce(requester, request.nonce);
        balances[requester] -= amount;
        totalBalances -= amount;
        totalEscrow += amount;
        MarketJob storage record = _jobs[jobId];
        record.requester = requester;
        record.deadline = request.deadline;
        record.status = JobStatus.Open;
        record.reward = uint128(request.reward);
        record.fee = uint128(fee);
        record.modelId = request.modelId;
        record.inputCommitment = request.inputCommitment;
    }

    /// @dev Cheap checks first; the signature (possibly an external ERC-1271 call) only for an otherwise valid request.
    function _checkRequest(
        OpenRequest calldata request,
        bytes calldata signature,
        bytes32 digest,
        uint256 jobId,
        uint256 bps
    ) private view returns (bool, RejectReason, uint256 fee) {
        if (block.timestamp > request.deadline) return (false, RejectReason.Expired, 0);
        if (request.reward == 0) return (false, RejectReason.ZeroReward, 0);
        if (request.modelId >= SNARK_SCALAR_FIELD || request.inputCommitment >= SNARK_SCALAR_FIELD) {
            return (false, RejectReason.OutOfField, 0);
        }
        // Escrow amounts are stored in 128 bits; no real token supply comes near.
        if (request.reward > type(uint128).max / 2) return (false, RejectReason.RewardTooLarge, 0);
        fee = (request.reward * bps) / 10_000;
        if (fee > request.maxFee) return (false, RejectReason.FeeAboveMax, fee);
        if (nonceUsed(request.requester, request.nonce)) return (false, RejectReason.NonceUsed, fee);
        if (_jobs[jobId].status != JobStatus.None) return (false, RejectReason.JobExists, fee);
        if (balances[request.requester] < request.reward + fee) return (false, RejectReason.InsufficientBalance, fee);
        if (!_validSignature(request.requester, digest, signature)) return (false, RejectReason.BadSignature, fee);
        return (true, RejectReason.Expired, fee);
    }

    /// @dev EOAs through SignatureChecker (ECDSA, no malleable signatures); contracts through ERC-1271 with a gas
    ///      cap and a 32-byte return buffer, so a hostile wallet can neither burn the batch's gas nor return-bomb it.
    function _validSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (signer.code.length == 0) return SignatureChecker.isValidSignatureNow(signer, digest, signature);
        bytes memory data = abi.encodeWithSelector(0x1626ba7e, digest, signature);
        bool success;
        bytes32 result;
        uint256 size;
        uint256 gasLimit = ERC1271_GAS_LIMIT;
        assembly ("memory-safe") {
            mstore(0x00, 0)
            success := staticcall(gasLimit, signer, add(data, 0x20), mload(data), 0x00, 0x20)
            size := returndatasize()
            result := mload(0x00)
        }
        return success && size >= 32 && result == bytes32(uint256(uint32(0x1626ba7e)) << 224);
    }

    /// @notice Revokes signed requests: marks the caller's `nonces` used. Never paused.
    function cancelNonces(uint256[] calldata nonces) external {
        for (uint256 i = 0; i < nonces.length; ++i) {
            _useNonce(msg.sender, nonces[i]);
            emit NonceCancelled(msg.sender, nonces[i]);
        }
    }

    function _useNonce(address requester, uint256 nonce) private {
        _nonceBitmap[requester][nonce >> 8] |= 1 << (nonce & 0xff);
    }

    /// @notice Whether `requester`'s `nonce` was used by an opened job or cancelled.
    function nonceUsed(address requester, uint256 nonce) public view returns (bool) {
        return (_nonceBitmap[requester][nonce >> 8] >> (nonce & 0xff)) & 1 == 1;
    }

    /// @notice The EIP-712 digest the requester signs for `request` (its `requester` field is not part of it).
    function hashJobRequest(OpenRequest calldata request) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    JOB_REQUEST_TYPEHASH,
                    request.modelId,
                    request.inputCommitment,
                    request.reward,
                    request.maxFee,
                    request.deadline,
                    request.nonce
                )
            )
        );
    }

    /// @notice The job id of a request, known before it is opened: keccak256(EIP-712 digest ‖ requester) reduced mod r,
    ///         so it is a field element the circuit can take as its jobId signal. The requester is part of it: two
    ///         people signing identical terms get different ids, so nobody can take a request's id by front-running it
    ///         with a copy signed by themselves.
    function jobIdOf(OpenRequest calldata request) external view returns (uint256) {
        return _jobId(hashJobRequest(request), request.requester);
    }

    function _jobId(bytes32 digest, address requester) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(digest, requester))) % SNARK_SCALAR_FIELD;
    }

    /// @notice The EIP-712 domain separator (chain id and this contract's address included).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Records a batch L1 verified. Only the L2 messenger relaying a message from the L1 settlement contract.
    /// @dev Reverts while paused: the messenger then marks the message failed and anyone can replay it after unpause.
    function recordSettledBatch(uint256 batchId, bytes32 batchHash, uint256 jobCount) external whenNotPaused {
        _onlyL1Settlement();
        SettledBatch storage batch = _batches[batchId];
        if (batch.hash != bytes32(0) || _provenBatches[batchId].jobCount != 0) revert BatchAlreadyRecorded(batchId);
        batch.hash = batchHash;
        batch.jobCount = uint64(jobCount);
        emit BatchRecorded(batchId, batchHash, jobCount);
    }

    /// @notice Records a batch L1 settled with one batch proof. Only a deposit transaction from the L1 settlement
    ///         contract, whose L2 sender is its aliased address (OP's rule for contract senders: the L1 address plus
    ///         0x1111…1111), which nothing else on L2 can be (InferenceSettlement._depositProvenRecord). Never paused
    ///         and idempotent (the same record again is a no-op): a deposit is not replayed, but L1 can resend it.
    function recordProvenBatch(uint256 batchId, uint256 modelId, uint256 batchHash, uint256 jobCount) external {
        address settlement = l1Settlement;
        if (settlement == address(0) || msg.sender != _aliasOf(settlement)) {
            revert UnauthorizedSettlement(msg.sender, address(0));
        }
        ProvenBatch storage known = _provenBatches[batchId];
        if (known.jobCount == jobCount && known.hash == batchHash && known.modelId == modelId && jobCount != 0) return;
        if (_batches[batchId].hash != bytes32(0) || known.jobCount != 0) revert BatchAlreadyRecorded(batchId);
        _provenBatches[batchId] =
            ProvenBatch({hash: batchHash, modelId: modelId, jobCount: uint64(jobCount), released: false});
        emit ProvenBatchRecorded(batchId, modelId, batchHash, jobCount);
    }

    /// @dev The L2 sender of a deposit made by contract `l1` (OptimismPortal's address aliasing, wrapping at 2^160).
    function _aliasOf(address l1) private pure returns (address) {
        unchecked {
            return address(uint160(l1) + uint160(0x1111000000000000000000000000000000001111));
        }
    }

    /// @notice Pays the jobs of a batch L1 settled with one batch proof. Anyone may call it with the batch's jobs in
    ///         the proof's order. The market recomputes the batch hash (Poseidon chain over jobId, prover, the input
    ///         commitment from its own record, output commitment) and refuses any mismatch, so only the exact jobs
    ///         the proof covered, with the inputs their requesters signed, can be named. Each is then paid if Open and
    ///         of the batch's model; others are skipped with `JobReleaseSkipped` (padding never reaches here: the
    ///         proof's count excludes it).
    /// @param batchId The batch id L1 assigned.
    /// @param jobs The batch's jobs, in order.
    function releaseProvenBatch(uint256 batchId, ProvenJob[] calldata jobs) external whenNotPaused nonReentrant {
        ProvenBatch storage batch = _provenBatches[batchId];
        uint256 count = batch.jobCount;
        if (count == 0) revert BatchNotRecorded(batchId);
        if (batch.released) revert BatchAlreadyReleased(batchId);
        if (jobs.length != count) revert JobCountMismatch(batchId, count, jobs.length);
        uint256 actual = _provenHash(jobs);
        if (actual != batch.hash) revert ProvenBatchHashMismatch(batchId, batch.hash, actual);
        batch.released = true;
        _payProven(batchId, batch.modelId, jobs);
    }

    /// @dev The batch circuit's hash of the named jobs, with each input commitment from the market's own record.
    function _provenHash(ProvenJob[] calldata jobs) private view returns (uint256) {
        uint256[] memory words = new uint256[](4 * jobs.length);
        for (uint256 i = 0; i < jobs.length; ++i) {
            ProvenJob calldata named = jobs[i];
            words[4 * i] = named.jobId;
            words[4 * i + 1] = uint256(uint160(named.prover));
            words[4 * i + 2] = _jobs[named.jobId].inputCommitment;
            words[4 * i + 3] = named.outputCommitment;
        }
        return poseidon.chain(words);
    }

    /// @dev Pays every Open job of the batch's model; skips the others.
    function _payProven(uint256 batchId, uint256 modelId, ProvenJob[] calldata jobs) private {
        Payout memory payout;
        for (uint256 i = 0; i < jobs.length; ++i) {
            ProvenJob calldata named = jobs[i];
            MarketJob storage record = _jobs[named.jobId];
            // The batch circuit does not range-check the prover: a zero one is skipped rather than block the batch.
            bool termsMatch = record.modelId == modelId && named.prover != address(0);
            _payJob(payout, record, termsMatch, batchId, named.jobId, named.prover, named.outputCommitment);
        }
        _closeBatch(batchId, payout);
    }

    /// @notice Pays the jobs of a recorded batch. Anyone may call it with the batch's jobs (from the L1 event or the
    ///         sequencer). A job is paid only if it is Open and its modelId and inputCommitment are the ones its
    ///         requester signed: L1 verified a proof for whatever the settler supplied, only L2 knows what was asked.
    ///         Others are skipped with `JobReleaseSkipped`.
    /// @param batchId The batch id L1 assigned.
    /// @param jobs The batch's jobs, exactly as settled (their abi.encode hash must match).
    function releaseBatch(uint256 batchId, Job[] calldata jobs) external whenNotPaused nonReentrant {
        SettledBatch storage batch = _batches[batchId];
        bytes32 expected = batch.hash;
        if (expected == bytes32(0)) revert BatchNotRecorded(batchId);
        if (batch.released) revert BatchAlreadyReleased(batchId);
        bytes32 actual = keccak256(abi.encode(jobs));
        if (actual != expected) revert BatchHashMismatch(batchId, expected, actual);
        batch.released = true;

        Payout memory payout;
        for (uint256 i = 0; i < jobs.length; ++i) {
            Job calldata settled = jobs[i];
            MarketJob storage record = _jobs[settled.jobId];
            bool termsMatch = record.modelId == settled.modelId && record.inputCommitment == settled.inputCommitment;
            _payJob(payout, record, termsMatch, batchId, settled.jobId, settled.prover, settled.outputCommitment);
        }
        _closeBatch(batchId, payout);
    }

    /// @dev What a release has paid so far: jobs, rewards, fees.
    struct Payout {
        uint256 paid;
        uint256 reward;
        uint256 fee;
    }

    /// @dev One job of a release: skipped (with the reason) unless Open and on the terms it was opened with.
    function _payJob(
        Payout memory payout,
        MarketJob storage record,
        bool termsMatch,
        uint256 batchId,
        uint256 jobId,
        address prover,
        uint256 outputCommitment
    ) private {
        if (record.status != JobStatus.Open) {
            emit JobReleaseSkipped(jobId, SkipReason.NotOpen);
            return;
        }
        if (!termsMatch) {
            emit JobReleaseSkipped(jobId, SkipReason.TermsMismatch);
            return;
        }
        (uint256 reward, uint256 fee) = _release(record, batchId, jobId, prover, outputCommitment);
        ++payout.paid;
        payout.reward += reward;
        payout.fee += fee;
    }

    /// @dev Ends a release: one transfer for the whole batch's fees, and the summary event.
    function _closeBatch(uint256 batchId, Payout memory payout) private {
        if (payout.fee > 0) token.safeTransfer(treasury, payout.fee);
        emit BatchReleased(batchId, payout.paid, payout.reward, payout.fee);
    }

    /// @dev Ends an Open job as Released and pays its prover the reward (the fee is paid per batch by the caller).
    function _release(
        MarketJob storage record,
        uint256 batchId,
        uint256 jobId,
        address prover,
        uint256 outputCommitment
    ) private returns (uint256 reward, uint256 fee) {
        reward = record.reward;
        fee = record.fee;
        record.status = JobStatus.Released;
        record.prover = prover;
        record.outputCommitment = outputCommitment;
        totalEscrow -= reward + fee;
        emit JobReleased(jobId, prover, batchId, outputCommitment, reward, fee);
        token.safeTransfer(prover, reward);
    }

    /// @dev Only the L2 messenger relaying a message from the L1 settlement contract.
    function _onlyL1Settlement() private view {
        address l1Sender = msg.sender == address(l2Messenger) ? l2Messenger.xDomainMessageSender() : address(0);
        if (msg.sender != address(l2Messenger) || l1Sender != l1Settlement || l1Sender == address(0)) {
            revert UnauthorizedSettlement(msg.sender, l1Sender);
        }
    }

    /// @notice Returns an expired job's escrow (reward + fee) to its requester's prepaid balance. Anyone may call it
    ///         once block.timestamp > deadline + refundDelay. Never paused.
    function refund(uint256 jobId) external {
        MarketJob storage record = _jobs[jobId];
        if (record.status != JobStatus.Open) revert JobNotOpen(jobId);
        uint256 allowedAfter = uint256(record.deadline) + refundDelay;
        if (block.timestamp <= allowedAfter) revert RefundTooEarly(jobId, allowedAfter);
        uint256 amount = uint256(record.reward) + record.fee;
        address requester = record.requester;
        record.status = JobStatus.Refunded;
        totalEscrow -= amount;
        balances[requester] += amount;
        totalBalances += amount;
        emit JobRefunded(jobId, requester, amount);
    }

    // ---------------------------------------------------------------- views

    /// @notice Everything the market knows about a job (status None if it was never opened).
    function job(uint256 jobId) external view returns (MarketJob memory) {
        return _jobs[jobId];
    }

    /// @notice A recorded batch (hash zero if none).
    function settledBatch(uint256 batchId) external view returns (SettledBatch memory) {
        return _batches[batchId];
    }

    /// @notice A recorded proven batch (jobCount zero if none).
    function provenBatch(uint256 batchId) external view returns (ProvenBatch memory) {
        return _provenBatches[batchId];
    }
}
