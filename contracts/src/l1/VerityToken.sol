// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title VerityToken (VTY)
/// @notice Verity's native token on L1. Requesters pay for inference in VTY and provers are paid in it.
///         Its L2 twin is an OptimismMintableERC20 created by the L2 factory and minted by the standard bridge.
/// @dev The whole supply is minted once to `holder`; there is no owner and no further minting on L1, so the
///      L1 supply is the bound on everything the bridge can ever mint on L2.
contract VerityToken is ERC20, ERC20Permit {
    constructor(address holder, uint256 supply) ERC20("Verity", "VTY") ERC20Permit("Verity") {
        _mint(holder, supply);
    }
}
