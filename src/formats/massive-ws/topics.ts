/**
 * Topics, client actions and status frames of the Massive WebSocket feed.
 *
 * Client → server: `{"action":"auth"|"subscribe"|"unsubscribe","params":"..."}`
 * ({@link formatAction}, {@link parseAction}); the server acknowledges each topic with a `success`
 * status ({@link acknowledgedTopic}). Pure: no I/O.
 */
import type { FeedDataEvent, StatusEvent, WireEvent, WireStatus } from './types.js';

type Json = Record<string, unknown>;

/** Topic of a data event as the server filters it: `T.SPY`, `T.O:SPY251107C00680000`, `Q.O:...`. */
export function topicOf(event: FeedDataEvent): string {
  switch (event.kind) {
    case 'stockTrade': return `T.${event.trade.sym}`;
    case 'optionTrade': return `T.${event.trade.ticker}`;
    case 'optionQuote': return `Q.${event.quote.ticker}`;
  }
}

/**
 * Does a subscription set cover `topic`? Exact match, or a channel wildcard (`T.*`) for the
 * topic's channel.
 */
export function topicSubscribed(subscribed: ReadonlySet<string>, topic: string): boolean {
  if (subscribed.has(topic)) return true;
  const dot = topic.indexOf('.');
  return dot > 0 && subscribed.has(`${topic.slice(0, dot)}.*`);
}

/** Number of option quote contracts (`Q.O:...` topics) in a topic list. */
export function optionQuoteContractCount(topics: Iterable<string>): number {
  let n = 0;
  for (const t of topics) if (t.startsWith('Q.O:')) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Client actions

export type ActionName = 'auth' | 'subscribe' | 'unsubscribe';

export interface ClientAction {
  readonly action: ActionName;
  /** API key for `auth`; comma-separated topics otherwise. */
  readonly params: string;
}

/** The text frame a client sends. */
export function formatAction(action: ActionName, params: string): string {
  return JSON.stringify({ action, params });
}

/** Parses a client frame (server side); undefined when it is not a known action. */
export function parseAction(text: string): ClientAction | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { action, params } = v as Json;
  if (action !== 'auth' && action !== 'subscribe' && action !== 'unsubscribe') return undefined;
  if (typeof params !== 'string') return undefined;
  return { action, params };
}

/** Splits `subscribe`/`unsubscribe` params into topics (trimmed, empty entries dropped). */
export function splitTopics(params: string): string[] {
  return params.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}

/** Prefix of the `success` status message acknowledging one subscribed topic. */
export const SUBSCRIBED_PREFIX = 'subscribed to: ';
/** Prefix of the `success` status message acknowledging one unsubscribed topic. */
export const UNSUBSCRIBED_PREFIX = 'unsubscribed to: ';

/** The topic a `success` status acknowledges, with its direction; undefined for other statuses. */
export function acknowledgedTopic(status: StatusEvent): { topic: string; subscribed: boolean } | undefined {
  if (status.status !== 'success') return undefined;
  if (status.message.startsWith(SUBSCRIBED_PREFIX)) return { topic: status.message.slice(SUBSCRIBED_PREFIX.length), subscribed: true };
  if (status.message.startsWith(UNSUBSCRIBED_PREFIX)) return { topic: status.message.slice(UNSUBSCRIBED_PREFIX.length), subscribed: false };
  return undefined;
}

export function formatStatus(status: string, message: string): WireStatus {
  return { ev: 'status', status, message };
}

/** One text frame: a JSON array of events. */
export function formatFrame(events: readonly WireEvent[]): string {
  return JSON.stringify(events);
}
