/**
 * The refresh loop behind the page: takes a snapshot, tells every subscriber (the page's event
 * stream) when it differs from the last one, and schedules the next refresh. A failed refresh is
 * reported and retried; the page keeps the last good snapshot meanwhile.
 */
import type { ViewSnapshot } from './snapshot.ts';

export type Refresh = () => Promise<{ snapshot: ViewSnapshot; nextInMs: number }>;

export class LiveFeed {
  #latest: ViewSnapshot | undefined;
  #key = '';
  readonly #listeners = new Set<(s: ViewSnapshot) => void>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly refresh: Refresh,
    private readonly onError: (error: Error) => void,
    private readonly retryMs = 5000,
  ) {}

  /** Takes the first snapshot; later ones follow on their own. */
  async start(): Promise<void> {
    await this.#tick();
  }

  get latest(): ViewSnapshot | undefined {
    return this.#latest;
  }

  subscribe(listener: (s: ViewSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #tick(): Promise<void> {
    this.#running = (async () => {
      let next = this.retryMs;
      try {
        const { snapshot, nextInMs } = await this.refresh();
        next = nextInMs;
        this.#publish(snapshot);
      } catch (error) {
        this.onError(error as Error);
      }
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), next);
    })();
    return this.#running;
  }

  #publish(snapshot: ViewSnapshot): void {
    // The time of the snapshot alone is no news; the page ages things with its own clock.
    const key = JSON.stringify({ ...snapshot, generatedAt: 0 });
    this.#latest = snapshot;
    if (key === this.#key) return;
    this.#key = key;
    for (const listener of this.#listeners) listener(snapshot);
  }
}
