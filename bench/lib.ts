/** Shared bench helpers: timing commands as subprocesses, medians and spread, Markdown output. */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TSX_LOADER = pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

/** Runs `cmd` `runs` times (after `prepare` each time, untimed) and returns median and spread. */
export function timeCommand(cmd: string, args: string[], opts: { cwd: string; runs?: number; env?: NodeJS.ProcessEnv; prepare?: () => void; okCodes?: number[] }): Timing {
  const samples: number[] = [];
  for (let i = 0; i < (opts.runs ?? 5); i++) {
    opts.prepare?.();
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status === null || !(opts.okCodes ?? [0]).includes(r.status)) {
      throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
    }
    samples.push(ms);
  }
  return summarize(samples);
}

export function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)]!, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, runs: sorted.length };
}

export function pipelineArgs(...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', TSX_LOADER, path.join(REPO, 'pipeline.ts'), ...args]];
}

export function fmt(t: Timing): string {
  return `${t.medianMs.toFixed(0)} ms (${t.minMs.toFixed(0)}–${t.maxMs.toFixed(0)})`;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function markdownTable(headers: string[], rows: string[][]): string {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
