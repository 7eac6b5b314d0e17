// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAllocation} from "../interfaces/IAllocation.sol";
import {IAllowanceToken} from "../interfaces/IAllowanceToken.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IReserveSales} from "../interfaces/IReserveSales.sol";

/// @title ReserveSales
/// @notice Sealed-bid uniform-price auctions and fixed-price sales of reserve allowances. They run
/// on the exchange's platform: the contract is a clearing-house account of the exchange entity, so
/// that escrow and payments reach it at once; proceeds go to the treasury account.
contract ReserveSales is IReserveSales, AccessManaged {
    /// @dev Bounds the ranking done at finalisation.
    uint256 public constant MAX_BIDS = 500;

    // ───────────────────────────────────────── storage ────────────────────────────────────────

    IParticipantRegistry private immutable _registry;
    IAllowanceToken private immutable _allowances;
    IERC20 private immutable _cash;
    IAllocation private immutable _allocation;

    address private _treasury;
    uint256 private _auctionCount;
    uint256 private _saleCount;
    mapping(uint256 auctionId => Auction) private _auctions;
    mapping(uint256 auctionId => mapping(uint256 bidId => Bid)) private _bids;
    mapping(uint256 saleId => FixedSale) private _sales;
    mapping(uint256 saleId => mapping(address buyer => uint256)) private _bought;

    constructor(
        address authority,
        IParticipantRegistry registry,
        IAllowanceToken allowances,
        IERC20 cash,
        IAllocation allocation,
        address treasury_
    ) AccessManaged(authority) {
        if (treasury_ == address(0)) revert SalesInvalidTreasury();
        (_registry, _allowances, _cash, _allocation, _treasury) = (registry, allowances, cash, allocation, treasury_);
    }

    // ──────────────────────────────────────── auctions ────────────────────────────────────────

    /// @inheritdoc IReserveSales
    function createAuction(
        uint16 vintage,
        uint256 quantity,
        uint256 reservePrice,
        uint64 biddingEnds,
        uint64 revealEnds
    ) external restricted returns (uint256 auctionId) {
        if (quantity == 0 || reservePrice == 0 || biddingEnds <= block.timestamp || revealEnds <= biddingEnds) {
            revert SalesInvalidParameters();
        }
        _allocation.drawReserve(vintage, quantity);
        auctionId = ++_auctionCount;
        Auction storage a = _auctions[auctionId];
        (a.vintage, a.state, a.biddingEnds, a.revealEnds) = (vintage, AuctionState.Bidding, biddingEnds, revealEnds);
        (a.quantity, a.reservePrice) = (quantity, reservePrice);
        emit AuctionCreated(auctionId, vintage, quantity, reservePrice, biddingEnds, revealEnds);
    }

    /// @inheritdoc IReserveSales
    function commitBid(uint256 auctionId, bytes32 commitment, uint256 escrow) external returns (uint256 bidId) {
        Auction storage a = _auction(auctionId);
        if (a.state != AuctionState.Bidding || block.timestamp >= a.biddingEnds) revert SalesWrongPhase(auctionId, 1);
        if (!_registry.isActive(msg.sender)) revert SalesAccountNotActive(msg.sender);
        if (a.bids >= MAX_BIDS) revert SalesTooManyBids(auctionId, MAX_BIDS);
        uint256 received = escrow == 0 ? 0 : _pull(msg.sender, escrow);
        if (escrow == 0 || received != escrow) revert SalesEscrowMissing(msg.sender, escrow, received);
        bidId = ++a.bids;
        _bids[auctionId][bidId] = Bid({
            bidder: msg.sender,
            commitment: commitment,
            escrow: escrow,
            price: 0,
            quantity: 0,
            revealed: false,
            settled: false
        });
        emit BidCommitted(auctionId, bidId, msg.sender, escrow);
    }

    /// @inheritdoc IReserveSales
    function revealBid(uint256 auctionId, uint256 bidId, uint256 price, uint256 quantity, bytes32 salt) external {
        Auction storage a = _auction(auctionId);
        if (a.state != AuctionState.Bidding || block.timestamp < a.biddingEnds || block.timestamp >= a.revealEnds) {
            revert SalesWrongPhase(auctionId, 2);
        }
        Bid storage b = _bid(auctionId, bidId);
        // The bidder, or after a key recovery its entity's new wallet.
        if (b.bidder != msg.sender && !(_registry.isActive(msg.sender) && _registry.sameEntity(msg.sender, b.bidder))) {
            revert SalesNotBidder(auctionId, bidId, msg.sender);
        }
        if (b.revealed) revert SalesBidAlreadyRevealed(auctionId, bidId);
        if (commitmentOf(auctionId, b.bidder, price, quantity, salt) != b.commitment) {
            revert SalesCommitmentMismatch(auctionId, bidId);
        }
        if (price < a.reservePrice) revert SalesBidBelowReserve(price, a.reservePrice);
        if (quantity == 0) revert SalesInvalidParameters();
        if (price * quantity > b.escrow) revert SalesEscrowInsufficient(price * quantity, b.escrow);
        (b.price, b.quantity, b.revealed) = (price, quantity, true);
        ++a.revealed;
        emit BidRevealed(auctionId, bidId, b.bidder, price, quantity);
    }

    /// @inheritdoc IReserveSales
    function finalise(uint256 auctionId) external {
        Auction storage a = _auction(auctionId);
        if (a.state != AuctionState.Bidding || block.timestamp < a.revealEnds) revert SalesWrongPhase(auctionId, 3);
        (uint256[] memory prices, uint256[] memory quantities) = _rankedBids(auctionId, a.bids, a.revealed);

        uint256 supply = a.quantity;
        uint256 filled = 0;
        uint256 i = 0;
        while (i < prices.length) {
            uint256 price = prices[i];
            uint256 demand = 0;
            uint256 j = i;
            for (; j < prices.length && prices[j] == price; ++j) demand += quantities[j];
            a.clearingPrice = price;
            a.marginalDemand = demand;
            if (filled + demand >= supply) {
                uint256 left = supply - filled;
                a.marginalSupply = left;
                // What the pro-rata floors hand out at the margin; the remainder stays unsold.
                for (uint256 k = i; k < j; ++k) filled += (quantities[k] * left) / demand;
                break;
            }
            a.marginalSupply = demand;
            filled += demand;
            i = j;
        }
        a.sold = filled;
        a.state = AuctionState.Finalised;
        uint256 unsold = supply - filled;
        if (unsold != 0) _allocation.returnReserve(a.vintage, unsold);
        emit AuctionFinalised(auctionId, a.clearingPrice, filled, unsold, a.marginalDemand, a.marginalSupply);
    }

    /// @inheritdoc IReserveSales
    function settleBid(uint256 auctionId, uint256 bidId) external {
        Auction storage a = _auction(auctionId);
        if (a.state != AuctionState.Finalised) revert SalesWrongPhase(auctionId, 3);
        Bid storage b = _bid(auctionId, bidId);
        if (b.settled) revert SalesBidAlreadySettled(auctionId, bidId);
        b.settled = true;
        address payee = _payee(b.bidder);
        if (!b.revealed) {
            // A bid not revealed is a bid bond forfeited: otherwise a bidder could commit several
            // bids and reveal only those that suit it once others' reveals are public.
            _send(_treasury, b.escrow);
            emit BidSettled(auctionId, bidId, payee, 0, b.escrow, 0);
            return;
        }
        (uint256 quantity, uint256 cost) = _won(a, b);
        uint256 refund = b.escrow - cost;
        if (quantity != 0) {
            _allowances.mint(payee, a.vintage, quantity);
            _send(_treasury, cost);
        }
        if (refund != 0) _send(payee, refund);
        emit BidSettled(auctionId, bidId, payee, quantity, cost, refund);
    }

    // ─────────────────────────────────── fixed-price sales ────────────────────────────────────

    /// @inheritdoc IReserveSales
    function createFixedSale(
        uint16 vintage,
        uint256 quantity,
        uint256 price,
        uint64 opensAt,
        uint64 closesAt,
        uint256 maxPerBuyer
    ) external restricted returns (uint256 saleId) {
        if (quantity == 0 || price == 0 || closesAt <= opensAt || closesAt <= block.timestamp) {
            revert SalesInvalidParameters();
        }
        _allocation.drawReserve(vintage, quantity);
        saleId = ++_saleCount;
        _sales[saleId] = FixedSale({
            vintage: vintage,
            closed: false,
            opensAt: opensAt,
            closesAt: closesAt,
            quantity: quantity,
            price: price,
            maxPerBuyer: maxPerBuyer,
            sold: 0
        });
        emit FixedSaleCreated(saleId, vintage, quantity, price, opensAt, closesAt, maxPerBuyer);
    }

    /// @inheritdoc IReserveSales
    function buy(uint256 saleId, uint256 quantity) external {
        FixedSale storage s = _sale(saleId);
        if (s.closed || block.timestamp < s.opensAt || block.timestamp >= s.closesAt) revert SalesSaleNotOpen(saleId);
        if (!_registry.isActive(msg.sender)) revert SalesAccountNotActive(msg.sender);
        if (quantity == 0) revert SalesInvalidParameters();
        uint256 available = s.quantity - s.sold;
        if (s.maxPerBuyer != 0) {
            uint256 allowed = s.maxPerBuyer - _bought[saleId][msg.sender];
            if (allowed < available) available = allowed;
        }
        if (quantity > available) revert SalesQuantityUnavailable(saleId, quantity, available);
        uint256 cost = quantity * s.price;
        uint256 received = _pull(msg.sender, cost);
        if (received != cost) revert SalesPaymentMissing(msg.sender, cost, received);
        s.sold += quantity;
        _bought[saleId][msg.sender] += quantity;
        _send(_treasury, cost);
        _allowances.mint(msg.sender, s.vintage, quantity);
        emit FixedSalePurchase(saleId, msg.sender, quantity, cost);
    }

    /// @inheritdoc IReserveSales
    function closeFixedSale(uint256 saleId) external {
        FixedSale storage s = _sale(saleId);
        if (s.closed || block.timestamp < s.closesAt) revert SalesSaleNotOpen(saleId);
        s.closed = true;
        uint256 unsold = s.quantity - s.sold;
        if (unsold != 0) _allocation.returnReserve(s.vintage, unsold);
        emit FixedSaleClosed(saleId, s.sold, unsold);
    }

    /// @inheritdoc IReserveSales
    function setTreasury(address treasury_) external restricted {
        if (!_registry.isActive(treasury_)) revert SalesInvalidTreasury();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    // ────────────────────────────────────────── views ─────────────────────────────────────────

    /// @inheritdoc IReserveSales
    function auction(uint256 auctionId) external view returns (Auction memory) {
        return _auctions[auctionId];
    }

    /// @inheritdoc IReserveSales
    function bid(uint256 auctionId, uint256 bidId) external view returns (Bid memory) {
        return _bids[auctionId][bidId];
    }

    /// @inheritdoc IReserveSales
    function allocationOf(uint256 auctionId, uint256 bidId) external view returns (uint256 quantity, uint256 cost) {
        Auction storage a = _auctions[auctionId];
        if (a.state != AuctionState.Finalised) return (0, 0);
        return _won(a, _bids[auctionId][bidId]);
    }

    /// @inheritdoc IReserveSales
    function auctionCount() external view returns (uint256) {
        return _auctionCount;
    }

    /// @inheritdoc IReserveSales
    function fixedSale(uint256 saleId) external view returns (FixedSale memory) {
        return _sales[saleId];
    }

    /// @inheritdoc IReserveSales
    function fixedSaleCount() external view returns (uint256) {
        return _saleCount;
    }

    /// @inheritdoc IReserveSales
    function boughtIn(uint256 saleId, address buyer) external view returns (uint256) {
        return _bought[saleId][buyer];
    }

    /// @inheritdoc IReserveSales
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IReserveSales
    function commitmentOf(
        uint256 auctionId,
        address bidder,
        uint256 price,
        uint256 quantity,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(auctionId, bidder, price, quantity, salt));
    }

    // ──────────────────────────────────────── private ─────────────────────────────────────────

    function _auction(uint256 auctionId) private view returns (Auction storage a) {
        a = _auctions[auctionId];
        if (a.state == AuctionState.None) revert SalesUnknownAuction(auctionId);
    }

    function _bid(uint256 auctionId, uint256 bidId) private view returns (Bid storage b) {
        b = _bids[auctionId][bidId];
        if (b.bidder == address(0)) revert SalesUnknownBid(auctionId, bidId);
    }

    function _sale(uint256 saleId) private view returns (FixedSale storage s) {
        s = _sales[saleId];
        if (s.quantity == 0) revert SalesUnknownSale(saleId);
    }

    /// @dev What a bid wins: in full above the clearing price, pro rata at it, nothing below.
    function _won(Auction storage a, Bid storage b) private view returns (uint256 quantity, uint256 cost) {
        if (!b.revealed || b.price < a.clearingPrice || a.sold == 0) return (0, 0);
        quantity = b.price > a.clearingPrice ? b.quantity : (b.quantity * a.marginalSupply) / a.marginalDemand;
        cost = quantity * a.clearingPrice;
    }

    /// @dev The revealed bids' prices and quantities, highest price first (insertion sort; at most MAX_BIDS).
    function _rankedBids(
        uint256 auctionId,
        uint256 bids,
        uint256 revealed
    ) private view returns (uint256[] memory prices, uint256[] memory quantities) {
        prices = new uint256[](revealed);
        quantities = new uint256[](revealed);
        uint256 n = 0;
        for (uint256 id = 1; id <= bids; ++id) {
            Bid storage b = _bids[auctionId][id];
            if (!b.revealed) continue;
            uint256 k = n;
            ++n;
            while (k > 0 && prices[k - 1] < b.price) {
                (prices[k], quantities[k]) = (prices[k - 1], quantities[k - 1]);
                --k;
            }
            (prices[k], quantities[k]) = (b.price, b.quantity);
        }
    }

    /// @dev Where a bid's units and refund go: the bidder, or, when key recovery closed its wallet,
    /// the first active wallet of its entity.
    function _payee(address bidder) private view returns (address) {
        IParticipantRegistry.Account memory account = _registry.accountOf(bidder);
        if (account.status != IParticipantRegistry.AccountStatus.Closed) return bidder;
        address[] memory wallets = _registry.walletsOf(account.entityId);
        for (uint256 i = 0; i < wallets.length; ++i) if (_registry.isActive(wallets[i])) return wallets[i];
        return bidder;
    }

    /// @dev Takes `amount` fen from `from` (which approved this contract); returns what arrived.
    function _pull(address from, uint256 amount) private returns (uint256 received) {
        uint256 held = _cash.balanceOf(address(this));
        // The cash token returns true or reverts; what counts is what arrived.
        // slither-disable-next-line unchecked-transfer
        _cash.transferFrom(from, address(this), amount);
        received = _cash.balanceOf(address(this)) - held;
    }

    function _send(address to, uint256 amount) private {
        // slither-disable-next-line unchecked-transfer
        _cash.transfer(to, amount);
    }
}
