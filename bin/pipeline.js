#!/usr/bin/env node
// The `pipeline` command of the package. Installed from npm, it runs the compiled dist/ with plain
// node; in a checkout of the repository (where pipeline.ts exists) it runs the TypeScript source
// through tsx, so `npx pipeline` there never runs a stale build.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const source = new URL('../pipeline.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/pipeline.js');
}
