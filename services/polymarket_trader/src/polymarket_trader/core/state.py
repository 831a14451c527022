"""`CanonicalState`: everything the trader knows, owned by the reducer, immutable end to end.

Who writes: only `reduce()` (through `StateReducer`), by building a new state. Who reads: anyone,
through `view()`, which is the state itself because nothing in it can change: structs are frozen,
collections are tuples or `FrozenMap`s (mutation raises `TypeError`). A consumer holding an old
view keeps seeing exactly that version. `clone_for_persist()` is the msgspec encoding that the
journal stores in its snapshots table; `decode_state()` restores an equal state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from hourmm_common.enums import RiskMode, SessionState
from polymarket_trader.core.events import MarketInfo, MarketStatus, Side, Token, TradeStatus
from polymarket_trader.core.frozen_map import FrozenMap, HashedMap, freeze
from polymarket_trader.core.orders import OrderState
from polymarket_trader.core.params import ReducerParams, RiskLimits


class Positions(msgspec.Struct, frozen=True, kw_only=True):
    """Shares per token of the active market, pUSD cash, and what working orders lock.

    `*_settled_e6` are shares we may SELL (confirmed on chain or reported by the venue's balance);
    shares from a fill that is only MATCHED are held but not yet sellable.
    """

    up_e6: int = 0
    down_e6: int = 0
    usdc_e6: int = 0
    up_settled_e6: int = 0
    down_settled_e6: int = 0
    reserved_usdc_e6: int = 0
    reserved_up_e6: int = 0
    reserved_down_e6: int = 0
    fees_paid_e6: int = 0

    def shares(self, token: Token) -> int:
        return self.up_e6 if token is Token.UP else self.down_e6

    def settled(self, token: Token) -> int:
        return self.up_settled_e6 if token is Token.UP else self.down_settled_e6

    @property
    def net_up_e6(self) -> int:
        """Directional exposure in Up shares: a pair of Up + Down is worth 1 pUSD whatever wins."""
        return self.up_e6 - self.down_e6


class AppliedFill(msgspec.Struct, frozen=True, kw_only=True):
    """What one (trade id, order id) did to the books, so FAILED can reverse exactly that."""

    trade_id: str
    order_id: str
    condition_id: str
    token: Token
    side: Side
    price_e4: int
    size_e6: int
    fee_e6: int
    status: TradeStatus
    applied: bool  # False: first seen as FAILED, recorded so a late MATCHED is not counted
    settled: bool = False  # CONFIRMED: shares became sellable
    retrying: bool = False
    ts_ms: int = 0


class MarketView(msgspec.Struct, frozen=True, kw_only=True):
    tick_e4: int = 100
    tick_epoch: int = 0  # bumped on every tick-size change: working quotes must be re-gridded
    up_bid_e4: int | None = None
    up_ask_e4: int | None = None
    down_bid_e4: int | None = None
    down_ask_e4: int | None = None
    up_bid_size_e6: int = 0
    up_ask_size_e6: int = 0
    down_bid_size_e6: int = 0
    down_ask_size_e6: int = 0
    last_trade_e4: int | None = None
    status: MarketStatus = MarketStatus.OPEN
    winning_token: Token | None = None
    updated_ms: int = 0

    def best_bid(self, token: Token) -> int | None:
        return self.up_bid_e4 if token is Token.UP else self.down_bid_e4

    def best_ask(self, token: Token) -> int | None:
        return self.up_ask_e4 if token is Token.UP else self.down_ask_e4


class HealthState(msgspec.Struct, frozen=True, kw_only=True):
    binance_stale: bool = True
    snapshot_seq: int = -1
    snapshot_published_ms: int = 0  # the pricer's publish time of that snapshot (detects its restarts)
    snapshot_age_ms: int = 0
    last_snapshot_local_ms: int | None = None
    p_yes_fair: float | None = None
    p_yes_band_lo: float | None = None
    p_yes_band_hi: float | None = None
    snapshot_problem: str = "no snapshot yet"
    market_ws_connected: bool = False
    user_ws_connected: bool = False
    user_ws_down_since_ms: int | None = None
    heartbeat_ok: bool = True
    rest_error_times_ms: tuple[int, ...] = ()
    rest_errors_total: int = 0


class RiskFlags(msgspec.Struct, frozen=True, kw_only=True):
    """The causes behind the risk mode; `risk.derive_mode` turns them into one mode."""

    halt_reason: str | None = None  # uncertainty: HALT until cancel-all ack + stabilisation
    cancel_all_pending: str | None = None  # client_req_id of the cancel-all we wait for
    cancel_all_acked_ms: int | None = None
    operator_mode: RiskMode | None = None
    operator_reason: str = ""
    quoting_paused: bool = False
    loss_breached: bool = False
    cutoff_cancel_sent: bool = False


class BootProgress(msgspec.Struct, frozen=True, kw_only=True):
    """BOOT_SYNC for one market: cancel-all acked, open orders and balances read from REST."""

    condition_id: str = ""
    cancel_all_req: str = ""
    cancel_all_done: bool = False
    open_orders_done: bool = False
    balances_done: bool = False

    @property
    def complete(self) -> bool:
        return bool(self.condition_id) and self.cancel_all_done and self.open_orders_done and self.balances_done


class StateTimestamps(msgspec.Struct, frozen=True, kw_only=True):
    last_reconcile_ms: int | None = None
    session_since_ms: int = 0
    mode_since_ms: int = 0
    last_fill_ms: int | None = None


class SettlingPosition(msgspec.Struct, frozen=True, kw_only=True):
    """Shares left in a market we rolled away from, until it resolves (the venue redeems)."""

    condition_id: str
    up_e6: int
    down_e6: int
    winning_token: Token | None = None


class CanonicalState(msgspec.Struct, frozen=True, kw_only=True):
    seq: int = 0  # events folded so far (the journal's last applied seq after a restore)
    now_ms: int = 0  # latest time seen in an event (monotonic)
    last_event_ms: int = 0  # ts_local_ms of the last event
    session_state: SessionState = SessionState.BOOT_SYNC
    risk_mode: RiskMode = RiskMode.NORMAL
    mode_reason: str = "boot"
    active_market: MarketInfo | None = None
    next_market: MarketInfo | None = None
    unavailable_reason: str = ""
    positions: Positions = Positions()
    open_orders: Mapping[str, OrderState] = msgspec.field(default_factory=FrozenMap)
    closed_orders: HashedMap[OrderState] = HashedMap()
    fills: HashedMap[AppliedFill] = HashedMap()
    market_view: MarketView = MarketView()
    health: HealthState = HealthState()
    limits: RiskLimits = RiskLimits()
    flags: RiskFlags = RiskFlags()
    boot: BootProgress = BootProgress()
    timestamps: StateTimestamps = StateTimestamps()
    params: ReducerParams = ReducerParams()
    anomalies: Mapping[str, int] = msgspec.field(default_factory=FrozenMap)
    settling: tuple[SettlingPosition, ...] = ()
    recent_client_req_ids: tuple[str, ...] = ()  # the last submits, so the decision loop sees them land
    # A balances read arrived while some of our fills were matched but not yet mined: the venue's
    # balance does not hold them yet, so it was not adopted; re-read once they have all settled.
    balances_deferred: bool = False
    hour_start_equity_e6: int | None = None
    equity_e6: int | None = None

    def view(self) -> CanonicalState:
        """The read-only view for the decision loop and the control plane (deeply immutable)."""
        return self

    def clone_for_persist(self) -> bytes:
        return _ENCODER.encode(self)

    def order(self, order_id: str) -> OrderState | None:
        o = self.open_orders.get(order_id)
        return o if o is not None else self.closed_orders.get(order_id)

    def has_unmined_fills(self) -> bool:
        """Fills counted at MATCHED (or RETRYING) that the venue's balances do not show yet."""
        return any(f.applied and f.status in _UNMINED for f in self.fills.values())

    def working_orders(self) -> tuple[OrderState, ...]:
        return tuple(self.open_orders.values())

    @property
    def token_ids(self) -> tuple[str, str] | None:
        m = self.active_market
        return None if m is None else (m.up_token_id, m.down_token_id)


_UNMINED = frozenset({TradeStatus.MATCHED, TradeStatus.RETRYING})

CanonicalStateView = CanonicalState
"""The spec's name for what the decision loop reads: the same frozen object."""

_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(CanonicalState)


def decode_state(raw: bytes) -> CanonicalState:
    """Inverse of `clone_for_persist`; raises `msgspec.DecodeError`/`ValidationError` on damage.

    Decoding yields plain dicts; they are wrapped read-only here, so a decoded state is as
    immutable as a live one (the reducer itself only ever builds `FrozenMap`s).
    """
    s = _DECODER.decode(raw)
    return msgspec.structs.replace(s, open_orders=freeze(s.open_orders), anomalies=freeze(s.anomalies),
                                   closed_orders=s.closed_orders.frozen(), fills=s.fills.frozen())


def state_diff(a: CanonicalState, b: CanonicalState) -> list[str]:
    """Names of the top-level fields that differ (test and restart diagnostics)."""
    out: list[str] = []
    for name in a.__struct_fields__:
        x: Any = getattr(a, name)
        y: Any = getattr(b, name)
        if x != y:
            out.append(name)
    return out
