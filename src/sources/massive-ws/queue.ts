/**
 * A bounded FIFO between a producer that must never block (a socket reader) and an async
 * consumer (`for await`).
 *
 * Contract:
 * - `push` never blocks and never throws. When the queue holds `capacity` items, the OLDEST
 *   item is dropped to make room (counted in `dropped`, reported through `onDrop`): for a
 *   market feed the newest data matters most, and memory stays bounded.
 * - Before it comes to that, the queue signals pressure: `onPressure(true)` once the depth
 *   reaches `pauseDepth`, `onPressure(false)` once it has drained back to `resumeDepth`
 *   (hysteresis, so the signal does not flap). The WebSocket client pauses socket reads on
 *   pressure; it is the producer's job to bound how long it stays paused.
 * - `end()` lets the consumer drain what is queued, then finishes the iteration; `fail(error)`
 *   lets it drain, then rejects with `error`. Pushes after either are ignored.
 *
 * Items are held in a ring buffer of `capacity` slots: push, shift and drop are O(1).
 * Pure (no I/O).
 */

export interface BoundedQueueOptions<T> {
  /** Most items held at once (≥ 1). */
  readonly capacity: number;
  /** Depth at which `onPressure(true)` fires; default `capacity`. */
  readonly pauseDepth?: number;
  /** Depth at or below which `onPressure(false)` fires after pressure; default `floor(pauseDepth / 2)`. */
  readonly resumeDepth?: number;
  readonly onPressure?: (pressured: boolean) => void;
  /** Called for every dropped item with the running drop count. */
  readonly onDrop?: (droppedTotal: number, dropped: T) => void;
}

type Waiter<T> = { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void };

export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly pauseDepth: number;
  readonly resumeDepth: number;
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;
  private highWater = 0;
  private droppedTotal = 0;
  private pressuredNow = false;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private readonly waiters: Waiter<T>[] = [];
  private readonly onPressure: ((pressured: boolean) => void) | undefined;
  private readonly onDrop: ((droppedTotal: number, dropped: T) => void) | undefined;

  constructor(options: BoundedQueueOptions<T>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) throw new RangeError(`queue capacity must be an integer ≥ 1, got ${options.capacity}`);
    this.capacity = options.capacity;
    this.pauseDepth = Math.min(options.pauseDepth ?? options.capacity, options.capacity);
    this.resumeDepth = Math.min(options.resumeDepth ?? Math.floor(this.pauseDepth / 2), this.pauseDepth - 1);
    this.slots = new Array<T | undefined>(options.capacity);
    this.onPressure = options.onPressure;
    this.onDrop = options.onDrop;
  }

  /** Items waiting now. */
  get depth(): number { return this.count; }
  /** Highest depth ever reached. */
  get highWaterDepth(): number { return this.highWater; }
  /** Items dropped (oldest first) because the queue was full. */
  get dropped(): number { return this.droppedTotal; }
  /** Between `onPressure(true)` and `onPressure(false)`. */
  get pressured(): boolean { return this.pressuredNow; }
  /** `end()` or `fail()` was called. */
  get closed(): boolean { return this.ended; }

  /** Adds an item; drops the oldest when full. Ignored after `end`/`fail`. */
  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      // A consumer is already waiting, so the queue is empty: hand over directly.
      waiter.resolve({ value: item, done: false });
      return;
    }
    if (this.count === this.capacity) {
      const oldest = this.slots[this.head] as T;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.droppedTotal++;
      this.onDrop?.(this.droppedTotal, oldest);
    }
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count++;
    if (this.count > this.highWater) this.highWater = this.count;
    if (!this.pressuredNow && this.count >= this.pauseDepth) {
      this.pressuredNow = true;
      this.onPressure?.(true);
    }
  }

  /** Takes the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head] as T;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    if (this.pressuredNow && this.count <= this.resumeDepth) {
      this.pressuredNow = false;
      this.onPressure?.(false);
    }
    return item;
  }

  /** Next item; waits while empty; `done` after `end()` once drained; rejects after `fail()` once drained. */
  next(): Promise<IteratorResult<T>> {
    if (this.count > 0) return Promise.resolve({ value: this.shift() as T, done: false });
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Every item queued now (at most `max`) in one array; while empty, waits like `next` and
   * resolves with the first item pushed (the rest of a burst comes with the following call).
   * One promise per batch instead of one per item: what a consumer of a busy feed wants.
   */
  nextBatch(max: number): Promise<IteratorResult<T[], undefined>> {
    if (this.count > 0) {
      const n = Math.min(this.count, Math.max(1, max));
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = this.shift() as T;
      return Promise.resolve({ value: out, done: false });
    }
    return this.next().then((r) => (r.done === true ? { value: undefined, done: true } : { value: [r.value], done: false }));
  }

  /** No more items: the consumer drains the queue, then its iteration finishes. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** Like `end`, but the consumer's next read after draining rejects with `error`. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = { error };
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  /** Drops everything queued (not counted as drops) and ends. */
  clear(): void {
    while (this.count > 0) this.shift();
    this.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.clear();
        return { value: undefined, done: true };
      },
    };
  }
}
