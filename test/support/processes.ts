/** Child processes of a process, read from /proc (Linux): to check that none is left behind. */
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessInfo {
  readonly pid: number;
  readonly name: string;
}

/** Processes named `name` (the kernel's comm) whose parent is `parentPid` (default: this process). */
export async function childProcessesNamed(name: string, parentPid: number = process.pid): Promise<ProcessInfo[]> {
  const found: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (comm === name && ppid === parentPid) found.push({ pid: Number(entry), name: comm });
  }
  return found;
}

/** Processes named `name` anywhere on the machine (a parent killed with SIGKILL leaves orphans re-parented elsewhere). */
export async function processesNamed(name: string): Promise<ProcessInfo[]> {
  const found: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      if (comm === name) found.push({ pid: Number(entry), name: comm });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
