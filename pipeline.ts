#!/usr/bin/env -S node --import tsx
/**
 * Entry point in a checkout: `npx tsx pipeline <command>` from the repo root (package.json's bin,
 * bin/pipeline.js, does the same without tsx). Runs the prebuilt bundle when it is current, since
 * loading one bundled file is several times faster than loading ~200 modules through tsx's hooks;
 * otherwise the TypeScript sources, so an edit takes effect at once.
 */
import { currentBundle } from './bin/current-bundle.js';

await import(currentBundle() ?? './src/cli/run.ts');
