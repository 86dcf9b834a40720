/**
 * Which files a config's value depends on, and whether that value is a pure function of them.
 * The config cache (config-cache.ts) may re-use an evaluated config only then: its key is the
 * content of these files. The test is deliberately narrow, on the source text: a config (or a
 * module it imports) that reads the environment, the clock, randomness or any file, or imports
 * any package but this one, is evaluated every time. A false "not pure" only costs speed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_NAME } from '../package-name.ts';

/** Words that make a module's value depend on more than its source text. */
const IMPURE =
  /\b(?:process|require|Date|Math\.random|performance|globalThis|eval|Function|fetch|readFile\w*|readdir\w*|existsSync|statSync|crypto)\b|import\.meta|\bimport\s*\(/;
/** `import … from 'x'`, `export … from 'x'`, `import 'x'`; the leading keyword tells type-only ones. */
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
  const pending = [configFile];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.includes(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    if (IMPURE.test(text)) return undefined;
    files.push(file);
    contents.push(text);
    for (const [, , typeOnly, specifier] of text.matchAll(IMPORT)) {
      if (typeOnly || specifier === undefined) continue; // erased: no value comes from it
      if (specifier.startsWith('./') || specifier.startsWith('../'))
        pending.push(resolveRelative(path.dirname(file), specifier));
      else if (specifier === PACKAGE_NAME) {
        // The authoring API: followed into the installed package like any module, so its version counts.
        const entry = resolvePackage(file, specifier);
        if (!entry) return undefined;
        pending.push(entry);
      } else return undefined;
    }
  }
  return { files, contents };
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
