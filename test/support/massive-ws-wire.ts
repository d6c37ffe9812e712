/**
 * Data events in the wire shape Massive sends: the inverse of the frame parser, so that test
 * servers and benchmarks send exactly what the feed sends. Test support: not part of the product
 * (the replay server writes the same text directly, src/formats/massive-ws/wire-text.ts).
 */
import type { OptionTrade } from '../../src/formats/records.js';
import { msOfNs } from '../../src/formats/massive-ws/types.js';
import type {
  FeedDataEvent, OptionQuote, StockTrade, WireEvent, WireOptionQuote, WireOptionTrade, WireStockTrade,
} from '../../src/formats/massive-ws/types.js';

/**
 * A stock trade as Massive sends it (key order as on the wire). Fields the record does not
 * know (`x`, `i`, `z`, TRF) are left out; `c` is left out when there are no conditions.
 */
export function formatStockTrade(trade: StockTrade): WireStockTrade {
  // Built in wire key order; optional keys only when the record knows them.
  const out: Partial<WireStockTrade> = { ev: 'T', sym: trade.sym };
  if (trade.exchange !== undefined) out.x = trade.exchange;
  if (trade.tradeId !== undefined) out.i = trade.tradeId;
  if (trade.tape !== undefined) out.z = trade.tape;
  out.p = trade.price;
  out.s = trade.size;
  if (trade.conditions.length > 0) out.c = [...trade.conditions];
  out.t = msOfNs(trade.sipTimestampNs);
  out.q = trade.sequence;
  if (trade.trfId !== undefined) out.trfi = trade.trfId;
  if (trade.trfTimestampMs !== undefined) out.trft = trade.trfTimestampMs;
  return out as WireStockTrade;
}

/** An option trade as Massive sends it; `c` is left out when there are no conditions. */
export function formatOptionTrade(trade: OptionTrade): WireOptionTrade {
  const out: Partial<WireOptionTrade> = { ev: 'T', sym: trade.ticker, x: trade.exchange, p: trade.price, s: trade.size };
  if (trade.conditions.length > 0) out.c = [...trade.conditions];
  out.t = msOfNs(trade.sipTimestampNs);
  out.q = trade.sequence;
  return out as WireOptionTrade;
}

export function formatOptionQuote(quote: OptionQuote): WireOptionQuote {
  return {
    ev: 'Q', sym: quote.ticker, bx: quote.bidExchange, ax: quote.askExchange, bp: quote.bidPrice, ap: quote.askPrice,
    bs: quote.bidSize, as: quote.askSize, t: msOfNs(quote.sipTimestampNs), q: quote.sequence,
  };
}

/** Wire shape of any data event. */
export function formatDataEvent(event: FeedDataEvent): WireEvent {
  switch (event.kind) {
    case 'stockTrade': return formatStockTrade(event.trade);
    case 'optionTrade': return formatOptionTrade(event.trade);
    case 'optionQuote': return formatOptionQuote(event.quote);
  }
}
