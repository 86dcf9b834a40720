import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PipelineFiles } from '../../src/view/pipeline-files.ts';
import { Rig } from '../helpers/rig.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create('pipeline-view-files-');
  await rig.write({ 'root/data/a.jsonl': '{}\n', 'secret.txt': 'outside\n' });
  await mkdir(rig.path('root/dir'));
  await symlink(rig.path('secret.txt'), rig.path('root/data/link.txt'));
  await writeFile(rig.path('root/data/inside-link.target'), 'x');
  await symlink(rig.path('root/data/inside-link.target'), rig.path('root/data/inside-link.txt'));
});
afterEach(() => rig.dispose());

it('reads files under the root only: no "..", no absolute paths, no link leading out', () => {
  const files = new PipelineFiles(rig.path('root'));
  const ok = files.file('data/a.jsonl');
  expect(ok.ok && ok.value).toMatchObject({ relative: 'data/a.jsonl', size: 3 });
  expect(files.file('data/inside-link.txt').ok).toBe(true);
  for (const bad of [
    '../secret.txt',
    'data/../../secret.txt',
    rig.path('secret.txt'),
    '/etc/passwd',
    'data/link.txt',
    '',
    'a\0b',
    '..',
  ]) {
    const refused = files.file(bad);
    expect(refused.ok ? 'read' : refused.error.kind, bad).toBe('outside-root');
  }
  const missing = files.file('data/none.jsonl');
  expect(!missing.ok && missing.error.kind).toBe('not-found');
  const dir = files.file('dir');
  expect(!dir.ok && dir.error.kind).toBe('not-a-file');
});
