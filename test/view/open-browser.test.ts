/** `--open`: the system opener gets the address when there is one; none is no error. */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openInBrowser, systemOpener } from '../../src/view/open-browser.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('hands the address to xdg-open found on PATH, and says false when there is none', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-view-opener-'));
  const opener = path.join(dir, 'xdg-open');
  await writeFile(opener, `#!/bin/sh\necho "$1" > "${path.join(dir, 'opened')}"\n`);
  await chmod(opener, 0o755);
  expect(systemOpener({ PATH: dir }, 'linux')).toBe(opener);
  expect(openInBrowser('http://127.0.0.1:1234/', { PATH: dir })).toBe(true);
  await expect
    .poll(() => readFile(path.join(dir!, 'opened'), 'utf8').catch(() => ''), { timeout: 10_000 })
    .toBe('http://127.0.0.1:1234/\n');
  expect(openInBrowser('http://127.0.0.1:1234/', { PATH: path.join(dir, 'nothing-here') })).toBe(false);
  expect(systemOpener({ PATH: '' }, 'linux')).toBeUndefined();
});
