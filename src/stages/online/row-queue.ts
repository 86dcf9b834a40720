/**
 * The rows of one online run waiting for a server: the request file read one row ahead (so a
 * server's dispatcher can price the next row before it takes it), and rows handed back to be sent
 * again (a rate-limit answer, a transient failure after its back-off, a server drained under it).
 * Each server's dispatcher takes from it when its server has room: that is how a fleet shares the
 * work by capacity. Rows sent again go first, in the order they came back.
 */
import type { RequestEntry } from '../work/request-file.ts';
import { Changes } from './wake.ts';

export interface Row {
  entry: RequestEntry;
  /** What it takes from a token budget (prompt plus its most output). */
  cost: number;
  /** Transient failures and rate-limit answers so far in this run. */
  attempts: number;
  throttles: number;
  /** Servers that were sent this row and gave no answer: they may have run it and billed it. */
  unanswered: Set<string>;
  /** Not before this clock time (a transient failure's back-off). */
  notBefore: number;
}

export type RowFilter = (row: Row) => boolean;

export class RowQueue {
  readonly #again: Row[] = [];
  #head: Row | undefined;
  #reading: Promise<void> | undefined;
  #exhausted = false;
  #inFlight = 0;
  /** Notified whenever a row is taken, handed back or done, or the file is read to its end. */
  readonly changes = new Changes();
  /** Aborted once every row is done (nothing to read, none waiting, none in flight). */
  readonly #over = new AbortController();

  constructor(
    private readonly next: () => Promise<RequestEntry | undefined>,
    private readonly describe: (entry: RequestEntry) => { cost: number; unanswered?: Iterable<string> | undefined },
  ) {}

  get finished(): boolean {
    return this.#over.signal.aborted;
  }

  /** The file has a row not read yet and none is waiting ahead: `fill` reads it. */
  get unread(): boolean {
    return !this.#head && !this.#exhausted;
  }

  get over(): AbortSignal {
    return this.#over.signal;
  }

  /** Reads the next row of the file ahead unless one is already waiting (concurrent calls share the read). */
  async fill(): Promise<void> {
    if (this.#head || this.#exhausted) return;
    this.#reading ??= this.next()
      .then((entry) => {
        if (!entry) this.#exhausted = true;
        else {
          const { cost, unanswered } = this.describe(entry);
          this.#head = { entry, cost, attempts: 0, throttles: 0, unanswered: new Set(unanswered), notBefore: 0 };
        }
      })
      .finally(() => {
        this.#reading = undefined;
        this.#settled();
      });
    await this.#reading;
  }

  /** The first row `may` accepts that is due at `now`: rows sent again first, then the file's next. */
  firstFor(may: RowFilter, now: number): Row | undefined {
    const again = this.#again.find((r) => r.notBefore <= now && may(r));
    if (again) return again;
    return this.#head && may(this.#head) ? this.#head : undefined;
  }

  /**
   * The file's next row is one `may` refuses (its server left it unanswered before): it waits with
   * the rows sent again, for another server, and the file moves on. True if it was moved.
   */
  setAsideHead(may: RowFilter): boolean {
    if (!this.#head || may(this.#head)) return false;
    this.#again.push(this.#head);
    this.#head = undefined;
    return true;
  }

  /** Milliseconds until the first row `may` accepts is due (undefined: none is waiting). */
  dueIn(may: RowFilter, now: number): number | undefined {
    let first: number | undefined;
    for (const r of this.#again) if (may(r)) first = Math.min(first ?? Infinity, r.notBefore);
    return first === undefined ? undefined : Math.max(0, first - now);
  }

  take(row: Row): void {
    if (row === this.#head) this.#head = undefined;
    else this.#again.splice(this.#again.indexOf(row), 1);
    this.#inFlight += 1;
    this.changes.notify();
  }

  /** A taken row has its final answer for this run (or was never sent and will not be in this run). */
  done(): void {
    this.#inFlight -= 1;
    this.#settled();
  }

  /** A taken row is to be sent again, by whichever server may take it once it is due. */
  again(row: Row): void {
    this.#inFlight -= 1;
    this.#again.push(row);
    this.changes.notify();
  }

  #settled(): void {
    if (this.#exhausted && !this.#head && this.#again.length === 0 && this.#inFlight === 0 && !this.#reading)
      this.#over.abort();
    this.changes.notify();
  }
}
