/**
 * Jobs view: the progress of running ingest / greeks / features / run / live commands, from the
 * same run snapshot the terminal dashboard draws (/api/jobs/stream, one update a second).
 */
import type { FileProgress, JobView, LiveStatus, RunSnapshot } from './api.js';
import { h } from './dom.js';
import { compact, duration, nyClock } from './format.js';

export class JobsView {
  readonly root: HTMLElement;
  readonly #list = h('div', { class: 'jobs' });
  #source: EventSource | undefined;

  constructor(parent: HTMLElement) {
    this.root = h('section', { id: 'jobs', 'data-stream': 'closed' }, h('p', { class: 'note' },
      'Runs of gammaflow ingest, greeks, features, run and live report here through their metrics endpoint ([web] job_endpoints, default [metrics] listen).'), this.#list);
    parent.append(this.root);
  }

  start(): void {
    if (this.#source !== undefined) return;
    const source = new EventSource('/api/jobs/stream');
    this.#source = source;
    source.onopen = () => { this.root.dataset.stream = 'open'; };
    source.onerror = () => { this.root.dataset.stream = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'; };
    source.onmessage = (e: MessageEvent<string>) => this.#render((JSON.parse(e.data) as { jobs: JobView[] }).jobs);
  }

  stop(): void {
    this.#source?.close();
    this.#source = undefined;
    this.root.dataset.stream = 'closed';
  }

  #render(jobs: JobView[]): void {
    this.root.dataset.jobs = String(jobs.filter((j) => j.state === 'running').length);
    if (jobs.length === 0) {
      this.#list.replaceChildren(h('p', {}, 'No job endpoint configured (metrics disabled): set [web] job_endpoints.'));
      return;
    }
    this.#list.replaceChildren(...jobs.map((j) => (j.snapshot !== undefined ? job(j.source, j.snapshot) : h('div', { class: 'job idle' }, h('h3', {}, j.source), h('p', {}, j.error ?? 'no run')))));
  }
}

function bar(done: number, total: number): HTMLElement {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  const el = h('progress', { max: '100', value: pct.toFixed(1) });
  return h('span', { class: 'bar' }, el, ` ${pct.toFixed(0)} %`);
}

function fileRow(f: FileProgress): HTMLElement {
  return h('tr', { 'data-file': f.id, 'data-state': f.state },
    h('td', {}, f.dataset), h('td', {}, f.date), h('td', {}, f.state), h('td', {}, bar(f.bytesDone, f.bytesTotal)),
    h('td', {}, `${compact(f.rowsParsed)} rows`), h('td', {}, `${f.mbPerSec.toFixed(1)} MB/s`), h('td', {}, f.etaSec !== undefined ? duration(f.etaSec * 1000) : ''),
    h('td', { class: 'message' }, f.message ?? ''));
}

/** The live section of a live run: connections, msgs/s, lag, rows, and the last window per size. */
function liveStatus(l: LiveStatus): HTMLElement {
  const entries: [string, string][] = [
    ['connection', l.connections.map((c) => `${c.cluster} ${c.state}`).join(', ')],
    ['msgs/s', String(Math.round(l.eventsPerSecond))],
    ['lag', l.connections.map((c) => `${c.cluster} ${c.lagMs === undefined ? '–' : `${c.lagMs} ms`}`).join(', ')],
    ['rows', String(l.rows)],
    ...l.lastWindows.map((w): [string, string] => [`last ${w.window} window`, `${nyClock(w.windowStartMs)} close ${w.close?.toFixed(2) ?? '–'}`]),
  ];
  return h('dl', { class: 'extra live' }, ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function job(source: string, s: RunSnapshot): HTMLElement {
  const files = [...s.inFlight, ...s.recent];
  const extras = Object.entries(s.extra);
  return h('div', { class: 'job', 'data-command': s.command },
    h('h3', {}, `${s.command || 'run'} — ${source}, running ${duration(s.nowMs - s.startedAtMs)}`),
    s.live !== undefined ? '' : h('p', {}, `days ${s.daysDone + s.daysSkipped} / ${s.daysTotal} (${s.daysFailed} failed) · files ${s.filesDone} / ${s.filesTotal} done, ${s.filesSkipped} skipped, ${s.filesFailed} failed · `
      + `${s.totals.mbPerSec.toFixed(1)} MB/s · ${compact(s.totals.rowsPerSec)} rows/s · ${compact(s.totals.rowsWritten)} rows written, ${s.totals.rowsRejected} rejected`),
    s.filesTotal > 0 ? h('p', {}, 'files ', bar(s.filesDone + s.filesSkipped + s.filesFailed + s.filesMissing, s.filesTotal)) : '',
    files.length > 0 ? h('table', { class: 'files' }, h('tbody', {}, ...files.map(fileRow))) : '',
    extras.length > 0 ? h('dl', { class: 'extra' }, ...extras.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])) : '',
    s.live !== undefined ? liveStatus(s.live) : '',
    s.logs.length > 0 ? h('pre', { class: 'logs' }, s.logs.slice(-8).map((l) => `${new Date(l.atMs).toLocaleTimeString()} ${l.level} ${l.message}`).join('\n')) : '');
}
