/**
 * Builds what the installed package runs (`npm run build`, and so `npm pack` through prepack):
 * pipeline.ts and src/ compiled to dist/ with declarations, plus the files the code reads at run
 * time beside itself (the web view's page).
 */
import { execFileSync } from 'node:child_process';
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeBuildId } from './build-id.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(REPO, 'dist');
/** Non-TypeScript files under src/ that modules load through import.meta.url. */
const RUNTIME_FILES = ['src/view/assets'];

await rm(DIST, { recursive: true, force: true });
const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(REPO, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const rel of RUNTIME_FILES) await cp(path.join(REPO, rel), path.join(DIST, rel), { recursive: true });
// The build's id, which tsc cannot define (src/util/build-id.ts).
await writeFile(
  path.join(DIST, 'src/util/build-id.js'),
  `export function buildId() {\n  return ${JSON.stringify(await computeBuildId(REPO))};\n}\n`,
);
process.stdout.write(`built ${path.relative(process.cwd(), DIST) || DIST}\n`);
