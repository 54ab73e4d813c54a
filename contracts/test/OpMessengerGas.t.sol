// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {
    ICrossDomainMessenger,
    IL1MessengerPortal,
    IOptimismPortalDeposits,
    ISettledBatchReceiver
} from "../src/common/ICrossDomainMessenger.sol";
import {Job} from "../src/common/Job.sol";
import {Proof} from "../src/l1/Groth16.sol";
import {InferenceSettlement} from "../src/l1/InferenceSettlement.sol";
import {ModelRegistry} from "../src/l1/ModelRegistry.sol";
import {Fixtures} from "./utils/Fixtures.sol";
import {NullMessenger} from "./SettlementGas.t.sol";
import {aliasOf} from "./utils/Mocks.sol";

interface IProxy {
    function upgradeToAndCall(address implementation, bytes calldata data) external payable returns (bytes memory);
}

interface IBaseGas {
    function baseGas(bytes calldata message, uint32 minGasLimit) external pure returns (uint64);
}

/// @notice What the release message really costs on L1: the OP Bedrock L1CrossDomainMessenger and OptimismPortal
///         (the contracts-bedrock 0.17.3 artifacts the devnet deploys), set up behind proxies as the devnet does.
///         The portal burns L1 gas for the L2 gas a deposit asks for: burn = L2 gas × L2 deposit base fee (1 gwei,
///         its floor) / L1 base fee, so the figure depends on the L1 base fee; logged at 1, 10 and 30 gwei.
contract OpMessengerGasTest is Fixtures {
    string internal constant ARTIFACTS = "../node_modules/@eth-optimism/contracts-bedrock/forge-artifacts/";
    address internal constant L2_MARKET = address(0x4A11);
    uint32 internal constant RELEASE_GAS = 200_000;

    struct ResourceConfig {
        uint32 maxResourceLimit;
        uint8 elasticityMultiplier;
        uint8 baseFeeMaxChangeDenominator;
        uint32 minimumBaseFee;
        uint32 systemTxMaxGas;
        uint128 maximumBaseFee;
    }

    struct SystemConfigAddresses {
        address l1CrossDomainMessenger;
        address l1ERC721Bridge;
        address l1StandardBridge;
        address disputeGameFactory;
        address optimismPortal;
        address optimismMintableERC20Factory;
        address gasPayingToken;
    }

    ICrossDomainMessenger internal messenger;
    IOptimismPortalDeposits internal opPortal;
    ModelRegistry internal registry;
    address[] internal opContracts;

    function deploy(string memory name, bytes memory args) internal returns (address a) {
        bytes memory code = abi.encodePacked(vm.getCode(string.concat(ARTIFACTS, name, ".sol/", name, ".json")), args);
        assembly {
            a := create(0, add(code, 0x20), mload(code))
        }
        assertTrue(a != address(0), string.concat("deploy ", name));
    }

    function proxy() internal returns (address p) {
        p = deploy("Proxy", abi.encode(address(this)));
        opContracts.push(p);
    }

    /// @dev Each message is sent in its own L1 transaction: every OP contract it touches starts cold.
    function coolOp() internal {
        for (uint256 i = 0; i < opContracts.length; ++i) {
            vm.cool(opContracts[i]);
        }
    }

    function install(address proxy_, string memory name, bytes memory init) internal {
        IProxy(proxy_).upgradeToAndCall(deploy(name, ""), init);
    }

    function setUp() public {
        if (!loadFixtures()) return;
        address superchain = proxy();
        address systemConfig = proxy();
        address portal = proxy();
        address l1Messenger = proxy();
        address oracle = proxy(); // left without implementation: deposits never read it
        install(
            superchain, "SuperchainConfig", abi.encodeWithSignature("initialize(address,bool)", address(this), false)
        );
        install(
            systemConfig,
            "SystemConfig",
            abi.encodeWithSignature(
                "initialize(address,uint32,uint32,bytes32,uint64,address,(uint32,uint8,uint8,uint32,uint32,uint128),address,(address,address,address,address,address,address,address))",
                address(this),
                uint32(0),
                uint32(0),
                bytes32(0),
                uint64(30_000_000),
                address(0),
                // OP's default resource config (the devnet's): 1 gwei floor on the deposit base fee.
                ResourceConfig(20_000_000, 10, 8, 1_000_000_000, 1_000_000, type(uint128).max),
                address(0xFf00000000000000000000000000000000000901),
                SystemConfigAddresses(l1Messenger, address(0), address(0), address(0), portal, address(0), address(0))
            )
        );
        install(
            portal,
            "OptimismPortal",
            abi.encodeWithSignature("initialize(address,address,address)", oracle, systemConfig, superchain)
        );
        install(
            l1Messenger,
            "L1CrossDomainMessenger",
            abi.encodeWithSignature("initialize(address,address,address)", superchain, portal, systemConfig)
        );
        messenger = ICrossDomainMessenger(l1Messenger);
        opPortal = IOptimismPortalDeposits(portal);
        registry = new ModelRegistry(address(this), 1 days);
        registry.registerModel(modelId(0), verifyingKey(0), modelInfo(0));
    }

    function test_gasOfTheReleaseMessage() public {
        bytes memory message = abi.encodeCall(ISettledBatchReceiver.recordSettledBatch, (7, keccak256("jobs"), 32));
        log(
            "[gas] L2 gas the message asks for (messenger baseGas)",
            IBaseGas(address(messenger)).baseGas(message, RELEASE_GAS)
        );
        messenger.sendMessage(L2_MARKET, message, RELEASE_GAS); // the nonce slot is non-zero from then on
        uint256[3] memory basefees = [uint256(1 gwei), 10 gwei, 30 gwei];
        for (uint256 k = 0; k < 3; ++k) {
            vm.fee(basefees[k]);
            vm.roll(block.number + 1);
            coolOp();
            uint256 before = gasleft();
            messenger.sendMessage(L2_MARKET, message, RELEASE_GAS);
            uint256 used = before - gasleft();
            log(
                string.concat(
                    "[gas] L1CrossDomainMessenger.sendMessage, L1 base fee ", vm.toString(basefees[k] / 1 gwei), " gwei"
                ),
                used
            );
        }
    }

    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    /// @notice settleProvenBatch through the real portal: one deposit from the settlement's aliased address to the
    ///         market, and what the whole transaction costs by L1 base fee.
    function test_settleProvenBatchDepositsTheRecordThroughTheRealPortal() public {
        InferenceSettlement settlement = new InferenceSettlement(registry, messenger, L2_MARKET, RELEASE_GAS);
        assertEq(address(settlement.portal()), IL1MessengerPortal(address(messenger)).portal(), "the messenger's portal");
        uint256 size = vm.parseJsonUint(fixtures, ".batch.size");
        uint256 count = vm.parseJsonUint(fixtures, ".batch.count");
        uint256 hash = vm.parseJsonUint(fixtures, ".batch.hash");
        registry.registerBatchKey(modelId(0), size, batchKey(), batchCircuitSha256());
        vm.warp(block.timestamp + 1 days);
        (uint256 id, Proof memory proof) = (modelId(0), batchProof());
        settlement.settleProvenBatch(id, size, count, hash, proof); // steady state: the batch counter is non-zero
        uint256[2] memory basefees = [uint256(0.006 gwei), 10 gwei];
        for (uint256 k = 0; k < 2; ++k) {
            vm.fee(basefees[k]);
            vm.roll(block.number + 1);
            coolOp();
            vm.expectEmit(true, true, true, false, address(opPortal));
            emit TransactionDeposited(aliasOf(address(settlement)), L2_MARKET, 0, "");
            uint256 before = gasleft();
            settlement.settleProvenBatch(id, size, count, hash, proof);
            log(
                string.concat("[gas] settleProvenBatch with the real portal, L1 base fee ", vm.toString(basefees[k] / 1e6), " mwei"),
                before - gasleft()
            );
        }
    }

    /// @notice A proven batch's record goes by a direct portal deposit (InferenceSettlement._depositProvenRecord):
    ///         the burn follows its own L2 gas limit, not the messenger's ~285k overhead on top.
    function test_gasOfTheProvenBatchDeposit() public {
        InferenceSettlement settlement = new InferenceSettlement(registry, messenger, L2_MARKET, RELEASE_GAS);
        bytes memory record = abi.encodeCall(ISettledBatchReceiver.recordProvenBatch, (7, 1, 2, 32));
        uint64 gasLimit = settlement.PROVEN_RECORD_GAS_LIMIT();
        opPortal.depositTransaction(L2_MARKET, 0, gasLimit, false, record);
        uint256[3] memory basefees = [uint256(0.017 gwei), 1 gwei, 10 gwei];
        for (uint256 k = 0; k < 3; ++k) {
            vm.fee(basefees[k]);
            vm.roll(block.number + 1);
            coolOp();
            uint256 before = gasleft();
            opPortal.depositTransaction(L2_MARKET, 0, gasLimit, false, record);
            uint256 deposit = before - gasleft();
            vm.roll(block.number + 1);
            coolOp();
            before = gasleft();
            messenger.sendMessage(L2_MARKET, record, RELEASE_GAS);
            uint256 message = before - gasleft();
            string memory fee = string.concat(", L1 base fee ", vm.toString(basefees[k] / 1e6), " mwei");
            log(string.concat("[gas] OptimismPortal.depositTransaction of a proven record", fee), deposit);
            log(string.concat("[gas] the same as a messenger message", fee), message);
            assertTrue(deposit < message, "the deposit burns less than the message");
        }
    }

    function test_settleBatchWithTheRealMessenger() public {
        vm.fee(10 gwei);
        InferenceSettlement real = new InferenceSettlement(registry, messenger, L2_MARKET, RELEASE_GAS);
        InferenceSettlement none = new InferenceSettlement(
            registry, ICrossDomainMessenger(address(new NullMessenger())), L2_MARKET, RELEASE_GAS
        );
        Job[] memory jobs = new Job[](32);
        Proof[] memory proofs = new Proof[](32);
        for (uint256 i = 0; i < 32; ++i) {
            (jobs[i], proofs[i]) = provenJob(i % 8);
        }
        bytes memory data = abi.encodeCall(InferenceSettlement.settleBatch, (jobs, proofs));
        // Warm up both (first batch id write), then measure.
        (bool ok,) = address(real).call(data);
        (bool ok2,) = address(none).call(data);
        assertTrue(ok && ok2, "settle");
        vm.roll(block.number + 1);
        coolOp();
        uint256 before = gasleft();
        (ok,) = address(real).call(data);
        uint256 withReal = before - gasleft();
        vm.roll(block.number + 1);
        coolOp();
        before = gasleft();
        (ok2,) = address(none).call(data);
        uint256 withNone = before - gasleft();
        assertTrue(ok && ok2, "settle");
        log("[gas] settleBatch n=32 with the OP messenger (L1 base fee 10 gwei)", withReal);
        log("[gas] settleBatch n=32 with the OP messenger, per job", withReal / 32);
        log("[gas] of which the message", withReal - withNone);
    }
}
