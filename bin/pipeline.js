#!/usr/bin/env node
// The `pipeline` command of the package. Installed from npm, it runs the compiled dist/ with plain
// node. In a checkout of the repository (where pipeline.ts exists) it runs the prebuilt bundle when
// that is current (bin/current-bundle.js), else the TypeScript sources through tsx, so `npx
// pipeline` there never runs a stale build.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';
import { currentBundle } from './current-bundle.js';

const source = new URL('../src/cli/run.ts', import.meta.url);
if (existsSync(source)) {
  const bundle = currentBundle();
  if (bundle) await import(bundle);
  else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(source.href);
  }
} else {
  await import('../dist/src/cli/run.js');
}
