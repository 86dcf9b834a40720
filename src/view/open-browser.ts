/**
 * `--open`: hands the URL to the system's opener (xdg-open, or `open` on macOS) when there is one;
 * without one it only says so. The opener runs detached and its output is ignored.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function systemOpener(env: NodeJS.ProcessEnv, platform = process.platform): string | undefined {
  const name = platform === 'darwin' ? 'open' : platform === 'win32' ? undefined : 'xdg-open';
  if (!name) return undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Whether an opener was started. */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv): boolean {
  const opener = systemOpener(env);
  if (!opener) return false;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore', env });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
