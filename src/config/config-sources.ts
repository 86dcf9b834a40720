/**
 * Which files a config's value depends on, and whether that value is a pure function of them.
 * The config cache (config-cache.ts) may re-use an evaluated config only then: its key is the
 * content of these files. The test is deliberately narrow, on the source text: a config (or a
 * module it imports) that reads the environment, the clock, randomness or any file, or imports
 * any package but this one and zod, is evaluated every time. A false "not pure" only costs speed.
 *
 * zod is allowed because the authoring API re-exports it (`z`, for reply schemas) and it computes
 * nothing from the outside world; its package.json is one of the sources, so its version is part
 * of the key without reading zod's code. (A config holding a zod schema is never cached anyway:
 * a schema does not survive JSON, see config-cache.ts.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_NAME } from '../package-name.ts';

/** Words that make a module's value depend on more than its source text. */
const IMPURE =
  /\b(?:process|require|Date|Math\.random|performance|globalThis|eval|Function|fetch|readFile\w*|readdir\w*|existsSync|statSync|crypto)\b|import\.meta|\bimport\s*\(/;
/** `import … from 'x'`, `export … from 'x'`, `import 'x'`; the leading keyword tells type-only ones. */
/** Packages besides this one whose exports are a function of their version alone. */
const PURE_PACKAGES = new Set(['zod']);
const IMPORT = /\b(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/g;

export interface ConfigSources {
  /** Absolute paths, the config first, each once. */
  files: string[];
  /** Their contents, in the same order. */
  contents: string[];
}

/** The files the config's value depends on, or undefined when it may depend on anything else. */
export function pureConfigSources(configFile: string): ConfigSources | undefined {
  const files: string[] = [];
  const contents: string[] = [];
  // A package's manifest is read for its version only: neither checked for purity nor scanned.
  const pending: { file: string; manifest: boolean }[] = [{ file: configFile, manifest: false }];
  while (pending.length > 0) {
    const { file, manifest } = pending.pop()!;
    if (files.includes(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    files.push(file);
    contents.push(text);
    if (manifest) continue;
    if (IMPURE.test(text)) return undefined;
    for (const [, , typeOnly, specifier] of text.matchAll(IMPORT)) {
      if (typeOnly || specifier === undefined) continue; // erased: no value comes from it
      const next = dependency(file, specifier);
      if (!next) return undefined;
      pending.push(next);
    }
  }
  return { files, contents };
}

/** Where an import leads, or undefined when its value may depend on more than files we can key on. */
function dependency(from: string, specifier: string): { file: string; manifest: boolean } | undefined {
  if (specifier.startsWith('./') || specifier.startsWith('../') || path.isAbsolute(specifier))
    return { file: resolveRelative(path.dirname(from), specifier), manifest: false };
  if (specifier.startsWith('file://')) return { file: resolveRelative('/', fileURLToPath(specifier)), manifest: false };
  if (PURE_PACKAGES.has(specifier)) {
    const manifest = resolvePackage(from, `${specifier}/package.json`);
    return manifest ? { file: manifest, manifest: true } : undefined;
  }
  // The authoring API: followed into the installed package like any module, so its version counts.
  if (specifier === PACKAGE_NAME) {
    const entry = resolvePackage(from, specifier);
    return entry ? { file: entry, manifest: false } : undefined;
  }
  return undefined;
}

/** `./x.js` may name `./x.ts` (TypeScript's convention); an existing file wins. */
function resolveRelative(dir: string, specifier: string): string {
  const file = path.resolve(dir, specifier);
  return existsSync(file) ? file : file.replace(/\.([cm]?)js$/, '.$1ts');
}

function resolvePackage(from: string, specifier: string): string | undefined {
  try {
    return createRequire(from).resolve(specifier);
  } catch {
    return undefined;
  }
}
