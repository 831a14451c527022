"""B-2 and B-3 end to end: recorded frames through our translators into the real reducer and journal."""

from __future__ import annotations

import json
from pathlib import Path

from trader_testkit.builders import boot_events
from trader_testkit.fakes import RecordingSink

from edges.edge_kit import OUR_API_KEY, OUR_FUNDER, TRUMP_CID, TRUMP_NO, TRUMP_YES, a_market, fixture_text
from hourmm_common.clock import ManualClock
from polymarket_trader.core.events import (
    OrderSubmitted,
    OrderTerms,
    RestOrderAckEvent,
    Side,
    Token,
    VenueOrderStatus,
)
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.market_ws import MarketTranslator
from polymarket_trader.state_reducer import StateReducer
from polymarket_trader.user_ws import UserTranslator

H = 1_769_090_400_000
T = H + 120_000
MARKET = a_market(up=TRUMP_YES, down=TRUMP_NO, cid=TRUMP_CID, hour_start_ms=H)
OUR_ORDER = "0x3ad09f225ebe141dfbdb3824f31cb457e8e0301ca4e0a06311e543f5328b9dea"


def a_reducer(tmp_path: Path) -> tuple[StateReducer, EventJournalSQLite]:
    journal = EventJournalSQLite(tmp_path / "j.sqlite")
    reducer = StateReducer(journal, CanonicalState(), RecordingSink(), ManualClock(T))
    reducer.fold(boot_events(MARKET, ts=T))
    return reducer, journal


def test_b2_bbo_and_tick_size_reach_the_market_view(tmp_path: Path) -> None:
    reducer, journal = a_reducer(tmp_path)
    market = MarketTranslator()
    market.set_market(MARKET)
    book = json.loads(fixture_text("market_ws/book.json")) | {"asset_id": TRUMP_YES}
    reducer.fold(market.frame_to_events(json.dumps(book), T + 1))
    view = reducer.view.market_view
    assert (view.up_bid_e4, view.up_ask_e4) == (round(float(book["bids"][-1]["price"]) * 1e4),
                                                round(float(book["asks"][-1]["price"]) * 1e4))
    tick = json.loads(fixture_text("market_ws/tick_size_change.json")) | {"asset_id": TRUMP_YES}
    epoch = reducer.view.market_view.tick_epoch
    reducer.fold(market.frame_to_events(json.dumps(tick), T + 2))
    after = reducer.view.market_view
    assert after.tick_e4 == 10 and after.tick_epoch == epoch + 1  # the re-rounding path keys on the epoch
    assert after.up_bid_e4 is None  # the old-grid book is dropped until the next snapshot
    journal.close()


def _trade(trade_id: str, shares: str, status: str) -> str:
    msg = json.loads(fixture_text("user_ws/trade_maker_confirmed_cross_asset.json"))
    msg["maker_orders"][0] |= {"matched_amount": shares}
    return json.dumps(msg | {"id": trade_id, "status": status})


def test_b3_placement_partial_fills_and_cancel(tmp_path: Path) -> None:
    reducer, journal = a_reducer(tmp_path)
    user = UserTranslator(funder=OUR_FUNDER, api_key=OUR_API_KEY)
    user.set_market(MARKET)
    start_events = journal.count_events()
    cash0 = reducer.view.positions.usdc_e6
    reducer.fold([OrderSubmitted(ts_local_ms=T, client_req_id="d1:bid", order_id=OUR_ORDER,
                                 terms=OrderTerms(token=Token.UP, side=Side.BUY, price_e4=5130, size_e6=10_000_000,
                                                  expiration_s=(H + 3_600_000) // 1000)),
                  RestOrderAckEvent(ts_local_ms=T, client_req_id="d1:bid", order_id=OUR_ORDER,
                                    venue_status=VenueOrderStatus.LIVE)])
    placement = json.loads(fixture_text("user_ws/order_placement.json")) | {"id": OUR_ORDER, "original_size": "10"}
    frames = [json.dumps(placement), _trade("t1", "4", "MATCHED"),
              json.dumps(placement | {"type": "UPDATE", "size_matched": "4"}),
              _trade("t1", "4", "MINED"),  # the same trade again: counted once
              _trade("t2", "3", "MATCHED")]
    for i, frame in enumerate(frames):
        reducer.fold(user.frame_to_events(frame, T + 10 + i))
    order = reducer.view.open_orders[OUR_ORDER]
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.size_e6 - order.matched_e6 == 3_000_000
    assert reducer.view.positions.up_e6 == 7_000_000
    assert reducer.view.positions.usdc_e6 == cash0 - 7 * 513_000
    cancel = placement | {"type": "CANCELLATION", "status": "CANCELED", "size_matched": "7"}
    reducer.fold(user.frame_to_events(json.dumps(cancel), T + 20))
    assert OUR_ORDER not in reducer.view.open_orders
    assert reducer.view.closed_orders[OUR_ORDER].status is OrderStatus.CANCELED
    assert reducer.view.positions.up_e6 == 7_000_000
    assert journal.count_events() - start_events == 2 + 5 + 1  # every event journaled
    journal.close()
