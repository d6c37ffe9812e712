/**
 * Realtime path on loopback: `gammaflow replay` (a child process) serves a generated
 * millisecond-precision day as Massive's feed; this process runs what `gammaflow live` runs per
 * event: two MassiveFeedClients (stocks, options) → LivePipeline (merger, enrichment, quote
 * book, feature engine).
 *
 *   npx tsc -p . && node dist/bench/live.js [--spy-trades N] [--option-trades N] [--dir DIR]
 *       [--latency-speed 300] [--latency-seconds 20] [--runs 3] [--repeat 3] [--rows-out FILE.jsonl] [--json]
 *
 * Phases (the day is generated and run through the historical pipeline once, then reused):
 * 1. throughput: replay at max speed, from the first event received to the end of both streams:
 *    messages/s sustained, CPU seconds of this process (client + engine; the server's CPU is the
 *    child's), peak RSS of this process, client queue high water and drops; the rows are checked
 *    against the historical `gammaflow run --out` rows of the same day (exact JSON per row); the
 *    CPU is split into the event loop thread's and the helper threads' (GC, compiler; Linux /proc).
 *    Then again with this process pinned to one core and the replay to another (`taskset`, where
 *    available): the sustained rate of client + engine on one core, every thread included. Both
 *    `--runs` times, alternating (this machine's speed moves between runs): the median run is
 *    reported, every run listed;
 * 2. CPU ceiling: the same events, already received, pushed again into a fresh pipeline (engine
 *    only), and the same events re-parsed from frames of 100 (protocol parse only), each on one
 *    core, so the loopback figure can be told apart from the server's speed (best of `--repeat`);
 * 3. emit latency: replay paced at `--latency-speed` (× real time) from 09:30 New York for
 *    `--latency-seconds` of wall time, so the client's queue stays empty (receipt ≈ read): the
 *    latency of a row is the time from reading the batch (the client's `batches()`, as `gammaflow
 *    live` reads it) holding the event whose push moved the watermark past the window's end to the
 *    row being emitted: the events before it in the batch are included. p50/p99/max over the rows emitted that way (rows
 *    closed by the quiet timer are counted separately). The throughput phase reports the same
 *    measure under full load.
 *
 * Targets: ≥ 250 k messages/s on one core; p99 emit latency < 20 ms after the
 * watermark passes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { defaultConfig, type Config } from '../src/config/schema.js';
import { calendarOverrides } from '../src/config/index.js';
import { NyseCalendar } from '../src/calendar/index.js';
import { MassiveFeedClient } from '../src/sources/massive-ws/client.js';
import { LivePipeline } from '../src/live/pipeline.js';
import { parseFrame } from '../src/formats/massive-ws/parse.js';
import { formatFrame } from '../src/formats/massive-ws/topics.js';
import type { FeedCluster, FeedDataEvent } from '../src/formats/massive-ws/types.js';
import { formatDataEvent } from '../test/support/massive-ws-wire.js';
import { jsonLine } from '../src/features/output.js';
import type { FeatureRow } from '../src/features/row.js';
import { hasPartition } from '../src/sources/replay/lake-feed.js';

const DATE = '2025-11-07';
const SYMBOL = 'SPY';
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface LatencySummary {
  /** Rows emitted by a pushed event (the measured ones). */
  readonly rows: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Rows emitted by the quiet timer or at the end of a stream (not measured). */
  readonly otherRows: number;
}

export interface LiveBenchResult {
  readonly day: { readonly spyTrades: number; readonly optionTrades: number; readonly messages: number; readonly aggression: boolean };
  readonly throughput: {
    readonly messages: number;
    readonly seconds: number;
    readonly messagesPerSecond: number;
    readonly cpuSeconds: number;
    /** CPU seconds per wall second of this process (1 = one core busy). */
    readonly cores: number;
    /** Messages per CPU second of this process: the one-core rate of client + engine, whatever the server's speed. */
    readonly messagesPerCpuSecond: number;
    readonly peakRssMb: number;
    readonly queueHighWater: number;
    readonly dropped: number;
    readonly late: number;
    readonly rows: number;
    readonly rowsEqualHistorical: boolean;
    readonly mismatchedRows: number;
    /** Of those, windows holding corrected stock prints (not on the feed: expected). */
    readonly mismatchedRowsWithCorrections: number;
    readonly latency: LatencySummary;
    /** CPU seconds of the event loop thread (client + engine) and of V8's / libuv's helper threads (Linux). */
    readonly threadCpu: { readonly main: number; readonly others: number } | undefined;
  };
  /**
   * The same run with this process pinned to one core (`taskset`) and the replay to another: the
   * literal "messages/s on one core" (every thread of the client, GC helpers included, shares that
   * core). Absent where pinning is not possible.
   */
  readonly pinned?: { readonly messages: number; readonly seconds: number; readonly messagesPerSecond: number; readonly cpuSeconds: number; readonly cores: number };
  /** Every throughput run (`--runs`): the figures above are the median run's. */
  readonly runs: {
    readonly messagesPerSecond: readonly number[];
    readonly messagesPerCpuSecond: readonly number[];
    readonly messagesPerMainThreadCpuSecond: readonly number[];
    readonly pinnedMessagesPerSecond: readonly number[];
  };
  readonly ceiling: { readonly engineMessagesPerSecond: number; readonly parseMessagesPerSecond: number; readonly combinedMessagesPerSecond: number };
  readonly latency: LatencySummary & { readonly speed: number; readonly seconds: number; readonly messages: number; readonly queueHighWater: number };
}

function cli(args: readonly string[], cwd: string): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gammaflow ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** Generates the ms day and the historical rows once per (size) directory. */
function ensureDay(dir: string, spyTrades: number, optionTrades: number): { lake: string; historical: string } {
  const lake = join(dir, 'lake');
  const historical = join(dir, 'historical.jsonl');
  if (existsSync(historical)) return { lake, historical };
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`generating a ${DATE} ms day (${spyTrades.toLocaleString('en-US')} SPY trades, ${optionTrades.toLocaleString('en-US')} option trades) under ${dir} (once)...\n`);
  cli(['generate', '--out', 'flatfiles', '--ms', '--date', DATE, '--tickers', '5', '--spy-trades', String(spyTrades), '--option-trades', String(optionTrades)], dir);
  cli(['run', '--symbol', SYMBOL, '--from', DATE, '--source', 'local:flatfiles', '--lake', 'lake', '--out', 'historical.jsonl', '--no-tui'], dir);
  return { lake, historical };
}

interface Replay {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** What the replay printed on stderr so far. */
  stderr(): string;
}

/** Runs `f` against a replay; a failure carries the replay's stderr (why the server went away). */
async function withReplay<T>(replay: Replay, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    replay.child.kill('SIGKILL');
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nreplay stderr:\n${replay.stderr().slice(-4000)}`, { cause: e });
  }
}

async function startReplay(lake: string, args: readonly string[], onCore?: number): Promise<Replay> {
  const replayArgs = [CLI, 'replay', '--symbol', SYMBOL, '--date', DATE, '--lake', lake, '--port', '0', ...args];
  const child = onCore === undefined ? spawn(process.execPath, replayArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('taskset', ['-c', String(onCore), process.execPath, ...replayArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then((code) => reject(new Error(`replay exited (${code}) before listening: ${stderr}`)));
  });
  return { url, child, exited, stderr: () => stderr };
}

/** Can this machine pin processes to cores (Linux `taskset`, ≥ 2 cores)? */
function canPin(): boolean {
  return availableParallelism() >= 2 && spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** Sets the CPU affinity of every thread of this process (`taskset -a -p -c LIST`). */
function pinSelf(cpuList: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpuList} failed`);
}

/**
 * CPU seconds of this process's event loop thread (where the client and the engine run) and of
 * its other threads (V8's garbage collection and compiler helpers, libuv), from /proc (Linux);
 * undefined elsewhere.
 */
function threadCpuSeconds(): { main: number; others: number } | undefined {
  const tick = 100; // USER_HZ on Linux
  try {
    let main = 0, others = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      let stat: string;
      try { stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'); } catch { continue; } // the thread ended meanwhile
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / tick; // utime + stime
      if (Number(tid) === process.pid) main += seconds; else others += seconds;
    }
    return { main, others };
  } catch {
    return undefined;
  }
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summarize(latencies: number[], otherRows: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { rows: sorted.length, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1) ?? Number.NaN, otherRows };
}

interface LoopbackRun {
  readonly messages: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** CPU seconds of the event loop thread and of the other threads (Linux; undefined elsewhere). */
  readonly threadCpu: { main: number; others: number } | undefined;
  readonly peakRssMb: number;
  readonly queueHighWater: number;
  readonly dropped: number;
  readonly late: number;
  readonly rows: FeatureRow[];
  readonly latency: LatencySummary;
  /** Every event read, per cluster, in arrival order (kept only when asked). */
  readonly events: { cluster: FeedCluster; event: FeedDataEvent }[];
}

/**
 * Runs clients + pipeline against a replay URL until both streams end (or `stopAfterMs` of wall
 * time from the first event). Latency: a row emitted inside `push` is timed from the read of the
 * event being pushed.
 */
async function loopback(url: string, config: Config, aggression: boolean, keepEvents: boolean, stopAfterMs?: number): Promise<LoopbackRun> {
  const calendar = new NyseCalendar(calendarOverrides(config.calendar));
  const rows: FeatureRow[] = [];
  const latencies: number[] = [];
  let otherRows = 0;
  let readAt: number | undefined; // performance.now() when the batch being pushed was read
  const pipeline = new LivePipeline({
    symbol: SYMBOL, aggregations: config.aggregations, calendar, aggression, startMs: Date.now(),
    onRow: (row) => {
      rows.push(row);
      if (readAt === undefined) otherRows++;
      else latencies.push(performance.now() - readAt);
    },
  });
  const quiet = (): void => undefined;
  const topics = aggression ? ['T.*', 'Q.*'] : ['T.*'];
  // Never drop (reads pause as long as needed); a replay that dies fails the bench instead of reconnecting forever.
  const common = { apiKey: 'bench', exitOnClose: true, onLog: quiet, maxReadPauseMs: 600_000, reconnect: { maxAttempts: 3 } };
  const clients = {
    stocks: new MassiveFeedClient({ ...common, url: `${url}/stocks`, topics: [`T.${SYMBOL}`] }),
    options: new MassiveFeedClient({ ...common, url: `${url}/options`, topics }),
  };
  const events: { cluster: FeedCluster; event: FeedDataEvent }[] = [];
  let messages = 0;
  let firstAt: number | undefined;
  let peakRss = process.memoryUsage.rss();
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 50);
  const tick = setInterval(() => pipeline.tick(Date.now()), 250);
  let stopping = false;
  const stopTimer = stopAfterMs === undefined ? undefined : setInterval(() => {
    if (firstAt !== undefined && performance.now() - firstAt >= stopAfterMs && !stopping) {
      stopping = true;
      void clients.stocks.close();
      void clients.options.close();
    }
  }, 50);
  await Promise.all([clients.stocks.start(), clients.options.start()]);
  const threadsStart = threadCpuSeconds();
  const cpuStart = process.cpuUsage();
  const consume = async (cluster: FeedCluster): Promise<void> => {
    // As `gammaflow live` consumes the feed: a batch of whatever has arrived at a time.
    for await (const batch of clients[cluster].batches()) {
      const now = performance.now(), wall = Date.now();
      firstAt ??= now;
      messages += batch.length;
      readAt = now;
      for (const event of batch) {
        if (keepEvents) events.push({ cluster, event });
        pipeline.push(cluster, event, wall);
      }
      readAt = undefined;
    }
    pipeline.endCluster(cluster, Date.now());
  };
  await Promise.all([consume('stocks'), consume('options')]);
  const endAt = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const threadsEnd = threadCpuSeconds();
  pipeline.finish();
  clearInterval(rssTimer);
  clearInterval(tick);
  if (stopTimer !== undefined) clearInterval(stopTimer);
  const s = [clients.stocks.stats(), clients.options.stats()];
  return {
    messages, seconds: (endAt - (firstAt ?? endAt)) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: peakRss / 2 ** 20,
    threadCpu: threadsStart === undefined || threadsEnd === undefined ? undefined
      : { main: threadsEnd.main - threadsStart.main, others: threadsEnd.others - threadsStart.others },
    queueHighWater: Math.max(s[0]!.queueHighWater, s[1]!.queueHighWater), dropped: s[0]!.dropped + s[1]!.dropped,
    late: pipeline.stats().late, rows, latency: summarize(latencies, otherRows), events,
  };
}

/**
 * Rows vs the historical file: rows whose JSON differs or that are missing on either side, and
 * how many of those are windows holding corrected stock prints (the feed has no correction field,
 * so the realtime path cannot exclude them: an expected difference, see docs/realtime.md).
 */
function compareRows(rows: readonly FeatureRow[], historicalPath: string, aggression: boolean): { mismatched: number; withCorrections: number } {
  const expected = new Map<string, string>();
  for (const line of readFileSync(historicalPath, 'utf8').split('\n')) {
    if (line === '') continue;
    // window_start is an exact integer literal in the file: the key uses its text.
    const key = `${/"window":"([^"]+)"/.exec(line)![1]}/${/"window_start":(\d+)/.exec(line)![1]}`;
    expected.set(key, line);
  }
  let mismatched = 0;
  let withCorrections = 0;
  for (const row of rows) {
    const key = `${row.window}/${row.windowStartNs}`;
    const line = expected.get(key);
    if (line !== jsonLine(row, aggression)) {
      mismatched++;
      if (line !== undefined && /"diag_underlying_corrections":[1-9]/.test(line)) withCorrections++;
    }
    expected.delete(key);
  }
  return { mismatched: mismatched + expected.size, withCorrections };
}

/** Engine-only and parse-only rates over events already received (one core, this thread). */
function ceiling(config: Config, aggression: boolean, events: readonly { cluster: FeedCluster; event: FeedDataEvent }[]): LiveBenchResult['ceiling'] {
  const calendar = new NyseCalendar(calendarOverrides(config.calendar));
  const pipeline = new LivePipeline({ symbol: SYMBOL, aggregations: config.aggregations, calendar, aggression, startMs: Date.now(), onRow: () => undefined });
  const nowMs = Date.now();
  let t = performance.now();
  for (const { cluster, event } of events) pipeline.push(cluster, event, nowMs);
  pipeline.endCluster('stocks', nowMs);
  pipeline.endCluster('options', nowMs);
  pipeline.finish();
  const engineSeconds = (performance.now() - t) / 1000;
  const frames: string[] = [];
  for (let i = 0; i < events.length; i += 100) frames.push(formatFrame(events.slice(i, i + 100).map((e) => formatDataEvent(e.event))));
  t = performance.now();
  let parsed = 0;
  for (const f of frames) parsed += parseFrame(f).events.length;
  const parseSeconds = (performance.now() - t) / 1000;
  if (parsed !== events.length) throw new Error(`parse check: ${parsed} of ${events.length} events`);
  return {
    engineMessagesPerSecond: events.length / engineSeconds,
    parseMessagesPerSecond: events.length / parseSeconds,
    combinedMessagesPerSecond: events.length / (engineSeconds + parseSeconds),
  };
}

const k = (n: number): string => `${(n / 1000).toFixed(0)} k`;
const list = (xs: readonly number[]): string => xs.map((x) => (x / 1000).toFixed(0)).join(', ') + ' k';
const ms = (n: number): string => n.toFixed(2);

function markdown(r: LiveBenchResult): string {
  const t = r.throughput, c = r.ceiling, l = r.latency;
  return [
    `## Live loopback (replay → client + engine), ${DATE}, ${r.day.messages.toLocaleString('en-US')} messages, aggression ${r.day.aggression ? 'on' : 'off'}`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| loopback sustained | ${k(t.messagesPerSecond)} msg/s (${t.messages.toLocaleString('en-US')} in ${t.seconds.toFixed(2)} s); runs: ${list(r.runs.messagesPerSecond)} | ≥ 250 k msg/s |`,
    `| client + engine CPU | ${t.cpuSeconds.toFixed(2)} s (${t.cores.toFixed(2)} cores busy) | one core |`,
    `| client + engine, per CPU second | ${k(t.messagesPerCpuSecond)} msg/s; runs: ${list(r.runs.messagesPerCpuSecond)} | ≥ 250 k msg/s |`,
    ...(t.threadCpu === undefined ? [] : [`| of which event loop thread / helper threads (GC, compiler, libuv) | ${t.threadCpu.main.toFixed(2)} s (${k(t.messages / t.threadCpu.main)} msg per its CPU second; runs: ${list(r.runs.messagesPerMainThreadCpuSecond)}) / ${t.threadCpu.others.toFixed(2)} s | |`]),
    ...(r.pinned === undefined ? ['| pinned to one core | not measured (no taskset or one core) | ≥ 250 k msg/s |'] : [
      `| **pinned to one core** (client + engine on core 1, replay on core 0) | ${k(r.pinned.messagesPerSecond)} msg/s (${r.pinned.messages.toLocaleString('en-US')} in ${r.pinned.seconds.toFixed(2)} s, core ${(100 * r.pinned.cores).toFixed(0)} % busy); runs: ${list(r.runs.pinnedMessagesPerSecond)} | ≥ 250 k msg/s |`]),
    `| peak RSS (this process) | ${t.peakRssMb.toFixed(0)} MB | |`,
    `| client queue high water / dropped / late | ${t.queueHighWater} / ${t.dropped} / ${t.late} | 0 dropped |`,
    `| rows equal to historical | ${t.rowsEqualHistorical ? 'yes' : 'NO'} (${t.rows} rows, ${t.mismatchedRows} differ, `
      + `${t.mismatchedRowsWithCorrections} of them windows with corrected prints) | all but corrected-print windows |`,
    `| ceiling: engine only | ${k(c.engineMessagesPerSecond)} msg/s | |`,
    `| ceiling: protocol parse only | ${k(c.parseMessagesPerSecond)} msg/s | |`,
    `| ceiling: parse + engine, one core | ${k(c.combinedMessagesPerSecond)} msg/s | ≥ 250 k msg/s |`,
    `| emit latency under full load p50 / p99 / max | ${ms(t.latency.p50Ms)} / ${ms(t.latency.p99Ms)} / ${ms(t.latency.maxMs)} ms (${t.latency.rows} rows) | |`,
    `| emit latency at ${l.speed}x p50 / p99 / max | ${ms(l.p50Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)} ms (${l.rows} rows, queue high water ${l.queueHighWater}) | p99 < 20 ms |`,
    '',
  ].join('\n');
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<LiveBenchResult> {
  const { values } = parseArgs({ args: [...argv], options: {
    json: { type: 'boolean', default: false }, dir: { type: 'string' },
    'spy-trades': { type: 'string', default: '300000' }, 'option-trades': { type: 'string', default: '100000' },
    'latency-speed': { type: 'string', default: '300' }, runs: { type: 'string', default: '3' }, 'rows-out': { type: 'string' }, repeat: { type: 'string', default: '3' }, 'latency-seconds': { type: 'string', default: '20' },
  } });
  const spyTrades = Number(values['spy-trades']), optionTrades = Number(values['option-trades']);
  const dir = values.dir ?? fileURLToPath(new URL(`../../bench/out/live-${spyTrades}-${optionTrades}`, import.meta.url));
  const { lake, historical } = ensureDay(dir, spyTrades, optionTrades);
  const config = defaultConfig();
  const aggression = config.aggregations.aggression && (await hasPartition(lake, 'options-quotes', DATE));

  // 1. throughput at max speed, holding on to nothing (as `gammaflow live`): keeping every event for
  // phase 2 would make all of them survive into V8's old generation, a GC cost the CLI does not have.
  // --runs of each (this machine's speed moves between consecutive runs), alternating unpinned and
  // pinned; the table reports the median run and lists them all.
  const runs = Math.max(1, Number(values.runs));
  // Before any pinning: availableParallelism() follows this process's affinity.
  const pinnable = canPin();
  const allCores = `0-${availableParallelism() - 1}`;
  const free: LoopbackRun[] = [];
  const pinnedRuns: LoopbackRun[] = [];
  let mismatched = 0, withCorrections = 0;
  let replay: Replay;
  for (let i = 0; i < runs; i++) {
    replay = await startReplay(lake, ['--speed', 'max']);
    const r = await withReplay(replay, () => loopback(replay.url, config, aggression, false));
    await replay.exited;
    const cmp = compareRows(r.rows, historical, aggression);
    mismatched = Math.max(mismatched, cmp.mismatched);
    withCorrections = Math.max(withCorrections, cmp.withCorrections);
    free.push(r);
    // 1b. the same, on one core: this process on core 1, the replay on core 0
    if (pinnable) {
      pinSelf('1');
      try {
        replay = await startReplay(lake, ['--speed', 'max'], 0);
        pinnedRuns.push(await withReplay(replay, () => loopback(replay.url, config, aggression, false)));
        await replay.exited;
      } finally {
        pinSelf(allCores);
      }
    }
  }
  const byRate = (a: LoopbackRun, b: LoopbackRun): number => a.messages / a.cpuSeconds - b.messages / b.cpuSeconds;
  const run = [...free].sort(byRate)[Math.floor(free.length / 2)]!;
  const p = pinnedRuns.length === 0 ? undefined : [...pinnedRuns].sort((a, b) => a.messages / a.seconds - b.messages / b.seconds)[Math.floor(pinnedRuns.length / 2)]!;
  const pinned: LiveBenchResult['pinned'] = p === undefined ? undefined
    : { messages: p.messages, seconds: p.seconds, messagesPerSecond: p.messages / p.seconds, cpuSeconds: p.cpuSeconds, cores: p.cpuSeconds / p.seconds };
  const allRuns: LiveBenchResult['runs'] = {
    messagesPerSecond: free.map((r) => r.messages / r.seconds),
    messagesPerCpuSecond: free.map((r) => r.messages / r.cpuSeconds),
    messagesPerMainThreadCpuSecond: free.flatMap((r) => (r.threadCpu === undefined ? [] : [r.messages / r.threadCpu.main])),
    pinnedMessagesPerSecond: pinnedRuns.map((r) => r.messages / r.seconds),
  };
  if (values['rows-out'] !== undefined) writeFileSync(values['rows-out'], run.rows.map((r) => jsonLine(r, aggression) + '\n').join(''));

  // 2. CPU ceiling on the received events (captured by a second, unmeasured replay): best of --repeat
  // rounds (a shared machine only slows a round down)
  replay = await startReplay(lake, ['--speed', 'max']);
  const captured = await withReplay(replay, () => loopback(replay.url, config, aggression, true));
  await replay.exited;
  let ceil = ceiling(config, aggression, captured.events);
  for (let round = 1; round < Number(values.repeat); round++) {
    const c = ceiling(config, aggression, captured.events);
    ceil = {
      engineMessagesPerSecond: Math.max(ceil.engineMessagesPerSecond, c.engineMessagesPerSecond),
      parseMessagesPerSecond: Math.max(ceil.parseMessagesPerSecond, c.parseMessagesPerSecond),
      combinedMessagesPerSecond: Math.max(ceil.combinedMessagesPerSecond, c.combinedMessagesPerSecond),
    };
  }

  // 3. paced latency
  const speed = Number(values['latency-speed']);
  const seconds = Number(values['latency-seconds']);
  replay = await startReplay(lake, ['--speed', `${speed}x`, '--start', '09:30']);
  const paced = await withReplay(replay, () => loopback(replay.url, config, aggression, false, seconds * 1000));
  replay.child.kill('SIGINT');
  await replay.exited;

  const result: LiveBenchResult = {
    day: { spyTrades, optionTrades, messages: run.messages, aggression },
    throughput: {
      messages: run.messages, seconds: run.seconds, messagesPerSecond: run.messages / run.seconds, cpuSeconds: run.cpuSeconds,
      cores: run.cpuSeconds / run.seconds, messagesPerCpuSecond: run.messages / run.cpuSeconds, peakRssMb: run.peakRssMb, queueHighWater: run.queueHighWater, dropped: run.dropped,
      late: run.late, rows: run.rows.length, rowsEqualHistorical: mismatched === 0, mismatchedRows: mismatched,
      mismatchedRowsWithCorrections: withCorrections, latency: run.latency, threadCpu: run.threadCpu,
    },
    ...(pinned !== undefined ? { pinned } : {}),
    runs: allRuns,
    ceiling: ceil,
    latency: { ...paced.latency, speed, seconds, messages: paced.messages, queueHighWater: paced.queueHighWater },
  };
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(markdown(result));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(() => process.exit(0), (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
