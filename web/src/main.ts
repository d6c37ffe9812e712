/** The dashboard's entry point: three pages switched by the URL hash (#day, #live, #jobs). */
import { DayView } from './day.js';
import { JobsView } from './jobs.js';
import { LiveView } from './live.js';

const main = document.getElementById('main')!;
const day = new DayView(main);
const live = new LiveView(main);
const jobs = new JobsView(main);
let dayStarted = false;
let liveStarted = false;

function route(): void {
  const page = (location.hash.replace(/^#/, '').split('?')[0] || 'day') as 'day' | 'live' | 'jobs';
  for (const [name, view] of [['day', day], ['live', live], ['jobs', jobs]] as const) view.root.hidden = name !== page;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.hash === `#${page}`);
  document.body.dataset.page = page;
  if (page === 'day' && !dayStarted) { dayStarted = true; void day.init(); }
  if (page === 'live' && !liveStarted) { liveStarted = true; void live.start(); }
  if (page === 'jobs') jobs.start(); else jobs.stop();
}

window.addEventListener('hashchange', route);
route();
