"""A seeded generator of plausible event streams for replay, restart and benchmark tests.

Mixes what a real hour produces: snapshots, BBO updates, submits and acks, partial fills (some
duplicated, some FAILED later), cancels, disconnects and cancel-all acks, ticks. Everything
derives from the seed, so a failing run can be replayed exactly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from polymarket_trader.core import events as E
from polymarket_trader.core.events import (
    Channel,
    OrderType,
    Side,
    Token,
    TradeRole,
    TradeStatus,
    VenueOrderStatus,
)
from trader_testkit.builders import a_market, a_snapshot, at, boot_events

_MAX_LIVE = 6


def random_events(n: int, seed: int = 7, *, start_minute: float = 1, order_share: float = 1.0) -> Iterator[E.Event]:
    """`order_share` < 1 makes the stream mostly market data (snapshots, BBO), like a real hour."""
    rng = random.Random(seed)
    market = a_market()
    now = at(start_minute)
    yield from boot_events(market, ts=now)
    orders: list[tuple[str, Token, Side, int, int]] = []
    live: list[str] = []
    trades: list[tuple[str, E.TradeFill]] = []
    snap_seq = 0
    k = 0
    produced = 6
    while produced < n:
        now += rng.randint(1, 40)
        k += 1
        r = rng.random() if rng.random() < order_share else rng.random() * 0.45
        ev: E.Event
        if r < 0.25:
            snap_seq += 1
            ev = E.BinanceSnapshotEvent(ts_local_ms=now, snapshot=a_snapshot(
                rng.uniform(0.2, 0.8), now_ms=now, seq=snap_seq, stale=rng.random() < 0.02))
        elif r < 0.45:
            bid = rng.randint(20, 70) * 100
            ev = E.MarketBboEvent(ts_local_ms=now, token=rng.choice((Token.UP, Token.DOWN)), best_bid_e4=bid,
                                  best_ask_e4=bid + 100 * rng.randint(1, 5), bid_size_e6=1_000_000, ask_size_e6=1)
        elif r < 0.57 and len(live) >= _MAX_LIVE:
            oid = live.pop(0)  # the trader keeps a handful working: the oldest is cancelled
            ev = E.CancelAckEvent(ts_local_ms=now, client_req_id=f"c{k}", canceled=(oid,))
        elif r < 0.57:
            oid = f"0x{k:08x}"
            tok, side = rng.choice(((Token.UP, Side.BUY), (Token.DOWN, Side.BUY), (Token.UP, Side.SELL)))
            price, size = rng.randint(10, 90) * 100, rng.randint(5, 40) * 1_000_000
            orders.append((oid, tok, side, price, size))
            live.append(oid)
            ev = E.OrderSubmitted(ts_local_ms=now, client_req_id=f"h:{k}:{rng.choice(('bid', 'ask'))}", order_id=oid,
                                  terms=E.OrderTerms(token=tok, side=side, price_e4=price, size_e6=size,
                                                     expiration_s=market.hour_end_ms // 1000, order_type=OrderType.GTD))
        elif r < 0.65 and orders:
            oid = rng.choice(orders[-3 * _MAX_LIVE:])[0]
            ev = E.RestOrderAckEvent(ts_local_ms=now, client_req_id="", order_id=oid,
                                     venue_status=VenueOrderStatus.LIVE)
        elif r < 0.77 and orders:
            oid, tok, side, price, size = rng.choice(orders[-3 * _MAX_LIVE:])  # recent; some already closed
            fill = E.TradeFill(trade_id=f"t{k}", order_id=oid, token=tok, side=side, price_e4=price,
                               size_e6=rng.randint(1, 5) * 1_000_000,
                               role=rng.choice((TradeRole.MAKER, TradeRole.TAKER)))
            trades.append((f"t{k}", fill))
            ev = E.UserTradeEvent(ts_local_ms=now, trade_id=f"t{k}", status=TradeStatus.MATCHED, fills=(fill,))
        elif r < 0.85 and trades:
            tid, fill = rng.choice(trades[-50:])
            status = rng.choice((TradeStatus.MATCHED, TradeStatus.MINED, TradeStatus.CONFIRMED, TradeStatus.FAILED,
                                 TradeStatus.RETRYING))
            ev = E.UserTradeEvent(ts_local_ms=now, trade_id=tid, status=status, fills=(fill,))
        elif r < 0.90 and live:
            oid = live.pop(rng.randrange(len(live)))
            ev = E.CancelAckEvent(ts_local_ms=now, client_req_id=f"c{k}", canceled=(oid,))
        elif r < 0.92:
            ev = E.WsDisconnected(ts_local_ms=now, channel=rng.choice((Channel.USER, Channel.MARKET)), reason="eof")
        elif r < 0.94:
            ev = E.WsConnected(ts_local_ms=now, channel=rng.choice((Channel.USER, Channel.MARKET)), reconnect=True)
        elif r < 0.96:
            ev = E.CancelAllAckEvent(ts_local_ms=now, client_req_id=f"halt:{rng.randint(0, produced)}", canceled=())
        else:
            ev = E.ReducerTickEvent(ts_local_ms=now, now_ms=now)
        produced += 1
        yield ev
