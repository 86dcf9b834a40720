/**
 * A local server's parallel slots with a bounded wait queue (Ollama's `OLLAMA_NUM_PARALLEL` and
 * `OLLAMA_MAX_QUEUE`): a request takes a free slot or waits its turn in arrival order; when the
 * queue is full it is refused at once (the caller answers 503). A waiter whose client leaves is
 * taken out of the queue.
 */

export type SlotGrant = { ok: true; release: () => void } | { ok: false; reason: 'queue_full' | 'aborted' };

interface Waiter {
  grant: (g: SlotGrant) => void;
}

export class Slots {
  readonly #capacity: number;
  readonly #maxQueue: number;
  #active = 0;
  #queue: Waiter[] = [];
  #peakActive = 0;
  #peakQueue = 0;

  /** `capacity` Infinity: no cap, nobody ever waits. */
  constructor(capacity: number, maxQueue: number) {
    this.#capacity = capacity;
    this.#maxQueue = maxQueue;
  }

  get active(): number {
    return this.#active;
  }
  get queued(): number {
    return this.#queue.length;
  }
  get peakActive(): number {
    return this.#peakActive;
  }
  get peakQueue(): number {
    return this.#peakQueue;
  }

  /** Whether a request arriving now would be refused for a full queue. */
  get full(): boolean {
    return this.#active >= this.#capacity && this.#queue.length >= this.#maxQueue;
  }

  acquire(signal: AbortSignal): Promise<SlotGrant> {
    if (signal.aborted) return Promise.resolve({ ok: false, reason: 'aborted' });
    if (this.#active < this.#capacity) return Promise.resolve(this.#take());
    if (this.#queue.length >= this.#maxQueue) return Promise.resolve({ ok: false, reason: 'queue_full' });
    return new Promise<SlotGrant>((resolve) => {
      const waiter: Waiter = {
        grant: (g) => {
          signal.removeEventListener('abort', leave);
          resolve(g);
        },
      };
      const leave = () => {
        this.#queue = this.#queue.filter((w) => w !== waiter);
        resolve({ ok: false, reason: 'aborted' });
      };
      signal.addEventListener('abort', leave, { once: true });
      this.#queue.push(waiter);
      this.#peakQueue = Math.max(this.#peakQueue, this.#queue.length);
    });
  }

  #take(): SlotGrant {
    this.#active++;
    this.#peakActive = Math.max(this.#peakActive, this.#active);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        this.#queue.shift()?.grant(this.#take());
      },
    };
  }
}
