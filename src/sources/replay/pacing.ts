/**
 * The replay server's pacing and framing: a clock that releases events at their event time
 * divided by the speed, and the grouping of consecutive records into frames.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Replay clock shared by the clusters: the first event sent fixes (t0, wall origin); later
 * events wait until origin + (t − t0) / speed. `'max'` never waits.
 */
export class ReplayPacer {
  private originEventMs: number | undefined;
  private originWallMs = 0;

  constructor(
    private readonly speed: number | 'max',
    private readonly now: () => number = Date.now,
    private readonly sleepMs: (ms: number) => Promise<void> = (ms) => sleep(ms),
  ) {
    if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new RangeError(`replay speed must be > 0 or 'max', got ${speed}`);
  }

  /** Wall time (ms) at which the event at `eventMs` is due. */
  dueWallMs(eventMs: number): number {
    if (this.speed === 'max') return this.now();
    if (this.originEventMs === undefined) {
      this.originEventMs = eventMs;
      this.originWallMs = this.now();
    }
    return this.originWallMs + (eventMs - this.originEventMs) / this.speed;
  }

  /** Waits until the event at `eventMs` is due. */
  async waitFor(eventMs: number): Promise<void> {
    const wait = this.dueWallMs(eventMs) - this.now();
    if (wait > 0) await this.sleepMs(wait);
  }
}

/** A batch of consecutive records going out as one frame, with their feed times (ms). */
export interface Frame<R> {
  readonly records: R[];
  readonly times: number[];
}

/**
 * Groups consecutive records into frames: a record joins the current frame when its ms time is
 * within `windowMs` of the frame's first record (and not earlier than it) and the frame has
 * fewer than `maxPerFrame` records. Reads a chunk at a time (no await per record); when `chunks`
 * throws, the frames of what was read before are yielded before the error propagates.
 */
export async function* batchFrames<R>(chunks: AsyncIterable<readonly R[]>, timeMs: (record: R) => number,
  windowMs: number, maxPerFrame: number): AsyncGenerator<Frame<R>> {
  let records: R[] = [];
  let times: number[] = [];
  let frameStartMs = 0;
  try {
    for await (const chunk of chunks) {
      const complete: Frame<R>[] = [];
      for (let i = 0; i < chunk.length; i++) {
        const record = chunk[i]!;
        const t = timeMs(record);
        if (records.length > 0 && (records.length >= maxPerFrame || t < frameStartMs || t - frameStartMs > windowMs)) {
          complete.push({ records, times });
          records = [];
          times = [];
        }
        if (records.length === 0) frameStartMs = t;
        records.push(record);
        times.push(t);
      }
      for (const frame of complete) yield frame;
    }
  } catch (e) {
    // Records read before the input failed still go out, then the failure propagates.
    if (records.length > 0) yield { records, times };
    throw e;
  }
  if (records.length > 0) yield { records, times };
}
