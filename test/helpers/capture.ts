/** A plain (not a TTY, no colour) terminal output that keeps what the CLI writes, for in-process runs of main(). */
import type { Output } from '../../src/report/terminal.ts';

export function capture(): Output & { text: string } {
  const out = { text: '', isTTY: false, color: false, columns: 100, write: (t: string) => void (out.text += t) };
  return out;
}
