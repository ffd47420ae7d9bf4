import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { selectTests, summarize } from '../../../scripts/test.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('npm test (scripts/test.mjs, issue 15: a Node script, not bash)', () => {
  it('splits node flags from files and expands folders into sorted *.test.ts files', () => {
    const { flags, files } = selectTests(['--test-name-pattern=contract', 'test/unit/scripts'], root);
    assert.deepEqual(flags, ['--test-name-pattern=contract']);
    assert.ok(files.length >= 5);
    assert.ok(files.every((file) => file.endsWith('.test.ts')));
    assert.deepEqual([...files].sort(), files);
    assert.ok(files.includes(path.join('test', 'unit', 'scripts', 'test-runner.test.ts')));
  });

  it('refuses a path that does not exist, naming it, and a file that is not a test', () => {
    assert.throws(() => selectTests(['test/nowhere.test.ts'], root), /no such test file or folder: test\/nowhere\.test\.ts/);
    assert.throws(() => selectTests(['package.json'], root), /package\.json is not a test file .*--flag=value/);
    assert.throws(() => selectTests(['--test-name-pattern', 'contract'], root), /no such test file or folder: contract \(flags take the --flag=value form/);
  });

  it('with-keyring refuses its internal --inside-session stage when run by hand (it would touch the user\'s own keyring)', () => {
    const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'with-keyring.mjs'), '--inside-session', 'true'], { encoding: 'utf8', env: { ...process.env, WITH_KEYRING_FOLDER: '' } });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--inside-session is internal/);
  });

  it('closes with the plain "N passed, N failed" line, cancelled counting as failed', () => {
    const tap = ['TAP version 13', 'ok 1 - a', '# tests 5', '# suites 1', '# pass 3', '# fail 1', '# cancelled 1', '# skipped 0', '# todo 0', '# duration_ms 12'].join('\n');
    assert.deepEqual(summarize(tap)?.closing, '3 passed, 2 failed');
    assert.equal(summarize('TAP version 13\n'), undefined, 'no summary: the caller fails the run');
  });
});
