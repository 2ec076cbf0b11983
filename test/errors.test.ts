// The error catalogue, its documentation and its use agree (../shared/STYLE.md, practice 6).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ERROR_CATALOGUE, SwitchyardError } from '../src/domain/errors.js';
import { REPO } from './helpers/server.js';

it('documents every catalogue code with its status, and nothing else', () => {
  const doc = readFileSync(join(REPO, 'docs', 'errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| (\w+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, e]) => [code, e.status]);
  assert.deepEqual(rows, catalogue);
});

it('gives each error the status of its code', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    const e = new SwitchyardError(code as keyof typeof ERROR_CATALOGUE, 'x');
    assert.equal(e.status, entry.status);
    assert.equal(e.name, code);
  }
});

it('raises only catalogue codes in src/', () => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) files.push(path);
    }
  };
  walk(join(REPO, 'src'));
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/new SwitchyardError\('(\w+)'/g)) {
      assert.ok(Object.hasOwn(ERROR_CATALOGUE, m[1] as string), `${file} raises ${m[1]}, which is not in the catalogue`);
    }
  }
});
