/**
 * What the output stream can show: colour and live redraws only on a terminal, and never when
 * NO_COLOR is set; plain lines otherwise (piped output, CI logs).
 */
export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly color: boolean;
  readonly columns: number;
}

export function outputFor(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  env = process.env,
): Output {
  const isTTY = Boolean(stream.isTTY);
  return {
    write: (text) => void stream.write(text),
    isTTY,
    color: isTTY && !env.NO_COLOR && env.TERM !== 'dumb',
    columns: stream.columns ?? 100,
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

export type Style = keyof typeof CODES;

export function paint(out: Pick<Output, 'color'>, style: Style, text: string): string {
  return out.color ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

/** A fixed-width table, columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i]! - visibleLength(c)))))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export function progressBar(done: number, total: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
