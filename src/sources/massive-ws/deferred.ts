/** A promise with its resolve and reject, for waits settled by socket events. */
export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  // Nobody is obliged to await a subscription: a rejection on close must not become unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
