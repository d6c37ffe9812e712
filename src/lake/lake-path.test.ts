import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLakePath } from './lake-path.js';
import { LakeError, LakePathError } from '../util/errors.js';

test('a lake path that is a directory, or does not exist yet, passes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-lakepath-'));
  try {
    checkLakePath(dir);
    checkLakePath(join(dir, 'new', 'lake'));
    mkdirSync(join(dir, 'lake'));
    checkLakePath(join(dir, 'lake'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lake path that is a file, or lies under a file, is a LakePathError naming the path and where it came from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-lakepath-'));
  try {
    const file = join(dir, 'lake.txt');
    writeFileSync(file, 'not a lake');
    assert.throws(() => checkLakePath(file), (e: unknown) => {
      assert.ok(e instanceof LakePathError && e instanceof LakeError);
      assert.equal(e.code, 'lake');
      assert.equal(e.message, `--lake ${file} is a file, not a directory; give a lake directory (it is created when missing)`);
      return true;
    });
    assert.throws(() => checkLakePath(join(file, 'sub'), 'storage.lake'),
      (e: unknown) => e instanceof LakePathError && e.message.startsWith(`storage.lake ${join(file, 'sub')}: ${file} is a file, not a directory`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
