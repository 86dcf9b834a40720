/**
 * Builds the CLI bundle a checkout runs (`npm run bundle`; `npm ci` runs it through `postprepare`):
 * src/cli/run.ts and everything it imports bundled by esbuild (installed with tsx) into
 * a directory of its own under node_modules/.cache/llmake/, named current by cli.json with a
 * manifest of the source files it was built from and their hash (scripts/publish-bundle.ts). The entries (pipeline.ts, bin/pipeline.js) run it only while that hash still
 * matches (bin/current-bundle.js). Loading one bundled file with plain node takes a fraction of
 * loading ~200 TypeScript modules through tsx's hooks, which is most of a no-op build's time.
 *
 * Dynamic imports stay separate chunks (code splitting), so what the CLI loads lazily (API
 * clients, the emulator, watch, the tokenizer) is still loaded only when needed. tsx stays
 * external: it registers loader hooks from its own files, to load a config that is not cached.
 * A failure here is not fatal (the entries then run the sources): `npm ci` must not fail on it.
 *
 * `postprepare`, not `prepare`: npm runs both in the checkout after `npm ci` and `npm install`, but
 * `npm pack` and `npm publish` run `prepare` too (re-bundling the checkout under a running test
 * suite), and an install of the packed tarball lists a `prepare` among the install scripts the
 * user has not reviewed (npm ≥ 11.16). The package runs dist/, never this bundle.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_ROOT, packageVersion, REPO, sourceHash, sourceStamps } from '../bin/current-bundle.js';
import { computeBuildId } from './build-id.ts';
import { publishBundle } from './publish-bundle.ts';

const ENTRY = 'src/cli/run.ts';
/** Loaded from their own files at run time (loader hooks, data tables, or only ever lazily). */
const EXTERNAL = ['tsx', 'tsx/*', 'esbuild', 'gpt-tokenizer', 'gpt-tokenizer/*', 'zx', 'chokidar', 'playwright-core'];

/**
 * `import.meta.url` in a bundled module would be the bundle's URL; modules that find files beside
 * themselves (the web view's assets) or resolve from themselves (the config loader) need their own.
 */
const ownUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      };
    });
  },
};

async function bundle(): Promise<void> {
  const name = `cli-${Date.now().toString(36)}-${process.pid}`;
  const outdir = path.join(BUNDLE_ROOT, name);
  await mkdir(outdir, { recursive: true });
  try {
    await buildInto(outdir, name);
  } catch (error) {
    await rm(outdir, { recursive: true, force: true });
    throw error;
  }
}

async function buildInto(outdir: string, name: string): Promise<void> {
  // Stamped before esbuild reads them: a file edited during the build then no longer matches its
  // stamp afterwards, and this build is dropped rather than recorded as built from the new content.
  const before = stampsOf(await listSources());
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: { run: ENTRY },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    outExtension: { '.js': '.mjs' },
    // Bundled CommonJS dependencies call require(); give the ES module one.
    banner: {
      js: "import { createRequire as __llmakeRequire } from 'node:module'; const require = __llmakeRequire(import.meta.url);",
    },
    // The build's id (src/util/build-id.ts): caches of what this code computed are this build's only.
    define: { __LLMAKE_BUILD_ID__: JSON.stringify(await computeBuildId(REPO)) },
    metafile: true,
    logLevel: 'error',
    plugins: [ownUrl],
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.split('/').includes('node_modules'))
    .sort();
  const stamps = sourceStamps(inputs);
  const hash = sourceHash(inputs);
  const changed = inputs.filter((rel, i) => String(before.get(rel)) !== String(stamps?.[i]));
  if (!hash || !stamps || changed.length > 0)
    throw new Error(`source files changed during the build: ${changed.slice(0, 3).join(', ') || 'one vanished'}`);
  const manifest = {
    entry: 'run.mjs',
    version: packageVersion(),
    node: process.versions.node.split('.')[0],
    hash,
    inputs,
    stamps,
  };
  await publishBundle(BUNDLE_ROOT, name, manifest);
  process.stdout.write(`bundled the CLI: ${inputs.length} source files → ${path.relative(REPO, outdir)}\n`);
}

/** Every file the bundle could be built from: src/ (the entry and all it imports). */
async function listSources(): Promise<string[]> {
  const entries = await readdir(path.join(REPO, 'src'), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(REPO, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

function stampsOf(files: string[]): Map<string, [number, number]> {
  const stamps = sourceStamps(files) ?? [];
  return new Map(files.map((f, i) => [f, stamps[i]!]));
}

try {
  await bundle();
} catch (error) {
  process.stderr.write(
    `pipeline: could not bundle the CLI (${(error as Error).message.split('\n')[0]}); it runs from the TypeScript sources\n`,
  );
}
