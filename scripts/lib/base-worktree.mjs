// A base commit checked out into a temporary detached git worktree and built there, for the
// scripts that compare this working tree with an earlier commit (compare-outputs, bench-ab).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** A setup step failed: the message says which and why (no stack needed). */
export class SetupError extends Error {}

export const say = (script, line) => process.stderr.write(`${script}: ${line}\n`);

const tail = (text, lines = 15) => String(text ?? '').trimEnd().split('\n').slice(-lines).join('\n');
export { tail };

export function git(args, cwd) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new SetupError(`git ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

export function runOrThrow(cmd, args, cwd, label) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new SetupError(`${label} failed (exit ${r.status}):\n${tail(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** The repository root of the current directory. */
export const repositoryRoot = () => git(['rev-parse', '--show-toplevel'], process.cwd());

/** Builds a tree's dist/ (tsc and the web bundle). */
export function build(script, tree, label) {
  say(script, `building ${label} (${tree})...`);
  runOrThrow('npm', ['run', '--silent', 'build'], tree, `npm run build in ${label}`);
}

/**
 * Checks `base` (a commit or branch) out under `work/base-tree`, gives it node_modules (a link
 * to head's when both package-lock.json files are equal; otherwise a copy of head's brought to the
 * base's lockfile by npm install, or npm ci without head modules) and builds it.
 */
export function prepareBase(script, head, base, work) {
  const commit = git(['rev-parse', '--verify', `${base}^{commit}`], head);
  const tree = join(work, 'base-tree');
  say(script, `checking out ${base} (${commit.slice(0, 12)}) into ${tree}`);
  git(['worktree', 'add', '--detach', tree, commit], head);
  const headLock = readFileSync(join(head, 'package-lock.json'), 'utf8');
  const baseLock = readFileSync(join(tree, 'package-lock.json'), 'utf8');
  if (headLock === baseLock && existsSync(join(head, 'node_modules'))) {
    symlinkSync(realpathSync(join(head, 'node_modules')), join(tree, 'node_modules'), 'dir');
    say(script, 'same package-lock.json: node_modules linked from head');
  } else if (existsSync(join(head, 'node_modules'))) {
    // A copy of head's modules, then npm brings it to the base's lockfile: only the packages that
    // differ are fetched, and native modules of unchanged versions are not compiled again.
    say(script, 'package-lock.json differs: node_modules copied from head, then npm install to the base lockfile...');
    runOrThrow('cp', ['-a', realpathSync(join(head, 'node_modules')), join(tree, 'node_modules')], head, 'copying node_modules');
    runOrThrow('npm', ['install', '--no-audit', '--no-fund', '--no-save'], tree, 'npm install in base');
  } else {
    say(script, 'npm ci in the base tree...');
    runOrThrow('npm', ['ci', '--no-audit', '--no-fund'], tree, 'npm ci in base');
  }
  build(script, tree, 'base');
  return { tree, commit };
}

/** Removes the base worktree (and git's record of it). */
export function removeBase(head, tree) {
  spawnSync('git', ['worktree', 'remove', '--force', tree], { cwd: head });
  spawnSync('git', ['worktree', 'prune'], { cwd: head });
}
