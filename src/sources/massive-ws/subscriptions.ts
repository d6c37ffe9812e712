/**
 * The topics a feed client wants and which of them the server has acknowledged, with the
 * promises waiting for acknowledgements. A topic stays wanted across reconnections; its
 * acknowledgement does not (the server forgets it with the connection).
 *
 * Massive streams quotes of at most {@link MAX_OPTION_QUOTE_CONTRACTS} option contracts per
 * connection: adding more is refused before anything is sent.
 */
import { FeedError } from '../../util/errors.js';
import { optionQuoteContractCount } from '../../formats/massive-ws/topics.js';
import { MAX_OPTION_QUOTE_CONTRACTS } from '../../formats/massive-ws/types.js';
import { deferred, type Deferred } from './deferred.js';

export class Subscriptions {
  readonly #url: string;
  readonly #wanted = new Set<string>();
  readonly #acknowledged = new Set<string>();
  readonly #waiters = new Map<string, Deferred[]>();

  /** `url` names the connection in errors. */
  constructor(url: string, initial: readonly string[]) {
    this.#url = url;
    this.checkOptionQuoteLimit(initial);
    for (const t of initial) this.#wanted.add(t);
  }

  /** Topics wanted now (subscribed or about to be). */
  get wanted(): ReadonlySet<string> {
    return this.#wanted;
  }

  get acknowledgedCount(): number {
    return this.#acknowledged.size;
  }

  /** Throws a `FeedError` when adding `topics` would exceed the option quote contract limit. */
  checkOptionQuoteLimit(adding: readonly string[]): void {
    const union = new Set([...this.#wanted, ...adding]);
    const n = optionQuoteContractCount(union);
    if (n > MAX_OPTION_QUOTE_CONTRACTS) {
      throw new FeedError('feed', `${n} option quote contracts requested on ${this.#url}; Massive streams at most ${MAX_OPTION_QUOTE_CONTRACTS} per connection`,
        { url: this.#url, contracts: n });
    }
  }

  /** Adds topics; returns those not wanted before (to send). */
  add(topics: readonly string[]): string[] {
    const added = topics.filter((t) => !this.#wanted.has(t));
    for (const t of added) this.#wanted.add(t);
    return added;
  }

  /** Removes topics; their pending waits resolve. Returns those that were wanted (to send). */
  remove(topics: readonly string[]): string[] {
    const removed = topics.filter((t) => this.#wanted.delete(t));
    for (const t of removed) {
      this.#acknowledged.delete(t);
      for (const w of this.#waiters.get(t) ?? []) w.resolve();
      this.#waiters.delete(t);
    }
    return removed;
  }

  /** The server acknowledged a subscription: its waits resolve (ignored for a topic no longer wanted). */
  acknowledge(topic: string): void {
    if (!this.#wanted.has(topic)) return;
    this.#acknowledged.add(topic);
    for (const w of this.#waiters.get(topic) ?? []) w.resolve();
    this.#waiters.delete(topic);
  }

  /** The server acknowledged an unsubscription. */
  unacknowledge(topic: string): void {
    this.#acknowledged.delete(topic);
  }

  /** The connection is gone: every topic must be acknowledged again. */
  connectionLost(): void {
    this.#acknowledged.clear();
  }

  /** Resolves once every given topic still wanted is acknowledged. */
  waitFor(topics: readonly string[]): Promise<void> {
    const pending = topics.filter((t) => this.#wanted.has(t) && !this.#acknowledged.has(t));
    const all = Promise.all(pending.map((t) => {
      const d = deferred();
      const list = this.#waiters.get(t);
      if (list === undefined) this.#waiters.set(t, [d]);
      else list.push(d);
      return d.promise;
    })).then(() => undefined);
    // A fire-and-forget subscribe() must not crash the process when the client closes.
    all.catch(() => undefined);
    return all;
  }

  /** The client ended: every pending wait rejects with `error`. */
  rejectAll(error: unknown): void {
    for (const list of this.#waiters.values()) for (const w of list) w.reject(error);
    this.#waiters.clear();
  }
}
