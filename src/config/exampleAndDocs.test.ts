import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText } from './parse.js';
import { defaultConfig, sectionKeys, SECTIONS, type SectionName } from './schema.js';
import { HOT_RELOADABLE_KEYS } from './reload.js';

// Compiled to dist/src/config/, so the repository root is three levels up.
const root = new URL('../../../', import.meta.url);
const example = readFileSync(new URL('config.example.toml', root), 'utf8');
const reference = readFileSync(new URL('docs/config.md', root), 'utf8');
const allKeys = (Object.keys(SECTIONS) as SectionName[]).flatMap((s) => sectionKeys(s).map((k) => [s, k] as const));

test('config.example.toml loads without warnings and states the defaults', () => {
  const { config, warnings } = parseConfigText(example, 'config.example.toml', {});
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, defaultConfig());
});

test('config.example.toml mentions every key in its section', () => {
  for (const [section, key] of allKeys) {
    const body = example.split(`[${section}]`)[1]?.split(/^\[/m)[0] ?? '';
    assert.match(body, new RegExp(`^(# )?${key} = `, 'm'), `${section}.${key}`);
  }
});

test('docs/config.md documents every key in its section, and hot keys as hot', () => {
  for (const [section, key] of allKeys) {
    const body = reference.split(`## \`[${section}]\``)[1]?.split(/^## /m)[0] ?? '';
    const row = body.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
    assert.ok(row, `${section}.${key} has a row`);
    assert.equal(row.includes('*hot.*'), HOT_RELOADABLE_KEYS.has(`${section}.${key}`), `${section}.${key} hot marking`);
  }
});
