/**
 * What `build --wait` shows between polls: per pending target a progress bar, and overall
 * requests done/total with rate and ETA. On a terminal it redraws in place; piped (or NO_COLOR /
 * CI logs) it prints one plain line per poll.
 */
import type { BuildEvent } from '../engine/events.ts';
import type { Progress } from '../stages/types.ts';
import { formatUsd } from '../tokens/prices.ts';
import { formatDuration, paint, progressBar, type Output } from './terminal.ts';

export class WaitDisplay {
  readonly #out: Output;
  readonly #pending = new Map<string, { progress: Progress; summary: string }>();
  /** Every target waited on in this run, with its last progress (finished ones at their total), so overall figures never go back. */
  readonly #overall = new Map<string, Progress>();
  readonly #history: { at: number; done: number }[] = [];
  /** Per target: dollars paid so far and expected still to pay, as last reported. */
  readonly #money = new Map<string, { spent: number; toGo: number }>();
  #drawnLines = 0;

  constructor(out: Output) {
    this.#out = out;
  }

  /** Feed every build event of a cycle; pending ones are remembered for the next draw. */
  observe(event: BuildEvent): void {
    if (event.type === 'pending') {
      this.#pending.set(event.target, { progress: event.progress, summary: event.summary });
      this.#overall.set(event.target, event.progress);
      if (event.money) this.#money.set(event.target, { spent: event.money.spentUsd, toGo: event.money.toGoUsd });
    } else if (event.type === 'done' || event.type === 'failed' || event.type === 'fresh') {
      const money = this.#money.get(event.target);
      if (money)
        this.#money.set(event.target, {
          spent: event.type === 'done' && event.costUsd !== undefined ? event.costUsd : money.spent,
          toGo: 0,
        });
      this.#pending.delete(event.target);
      const last = this.#overall.get(event.target);
      if (last && event.type === 'done') this.#overall.set(event.target, { ...last, done: last.total });
    }
  }

  /** Call at the start of each cycle: targets not reported pending again are no longer waited on. */
  startCycle(): void {
    this.#pending.clear();
  }

  draw(now: number, nextPollMs: number): void {
    let done = 0;
    let total = 0;
    for (const progress of this.#overall.values()) {
      done += progress.done;
      total += progress.total;
    }
    this.#history.push({ at: now, done });
    while (this.#history.length > 10) this.#history.shift();
    const first = this.#history[0]!;
    const rate = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
    const eta = rate > 0 ? formatDuration(((total - done) / rate) * 1000) : '?';
    const share = total ? ` (${((100 * done) / total).toFixed(1)}%)` : '';
    const overall = `${this.#pending.size} pending, ${done}/${total} requests${share}, ${rate.toFixed(1)} req/s, ETA ${eta}${this.#dollars()}; next poll in ${formatDuration(nextPollMs)}`;
    if (!this.#out.isTTY) {
      this.#out.write(`waiting: ${overall}\n`);
      return;
    }
    const width = Math.max(...[...this.#pending.keys()].map((t) => t.length), 10);
    const lines = [...this.#pending].map(
      ([target, { progress, summary }]) =>
        `  ${target.padEnd(width)} ${progressBar(progress.done, progress.total)} ${progress.done}/${progress.total} ${paint(this.#out, 'gray', summary)}`,
    );
    lines.push(`${paint(this.#out, 'bold', 'overall')} ${progressBar(done, total, 30)} ${overall}`);
    this.#out.write(`${this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}A\x1b[J` : ''}${lines.join('\n')}\n`);
    this.#drawnLines = lines.length;
  }

  /** "; $3.10 spent, ~$16.20 to go" over every target waited on, when the stages priced them. */
  #dollars(): string {
    if (this.#money.size === 0) return '';
    let spent = 0;
    let toGo = 0;
    for (const m of this.#money.values()) {
      spent += m.spent;
      toGo += m.toGo;
    }
    return `; ${formatUsd(spent)} spent, ~${formatUsd(toGo)} to go`;
  }

  /**
   * The stream for everything else printed while waiting: a line written through it ends the
   * drawn block, so the next draw starts below it instead of overwriting it. Only what is
   * actually written counts: an event the reporter does not print must not leave a stale block.
   */
  passThrough(): Output {
    const out = this.#out;
    return {
      write: (text) => {
        this.#drawnLines = 0;
        out.write(text);
      },
      isTTY: out.isTTY,
      color: out.color,
      columns: out.columns,
    };
  }
}
