/**
 * Admits tasks while the bytes they hold together stay within a budget, in arrival order. A task
 * heavier than the whole budget runs alone (never refused); light ones share it. The batch stage
 * uses it so a job of many small request files submits them side by side (their network waits
 * overlap), while one of 100 MB files holds one file's bookkeeping at a time (bench/RESULTS.md,
 * "Scale").
 */
export class ByteGate {
  #free: number;
  readonly #capacity: number;
  readonly #waiting: { bytes: number; go: () => void }[] = [];

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
    this.#free = this.#capacity;
  }

  async run<T>(bytes: number, task: () => Promise<T>): Promise<T> {
    const held = Math.min(this.#capacity, Math.max(1, bytes));
    // First come, first served: a light task never overtakes a heavy one waiting for room.
    if (this.#waiting.length === 0 && held <= this.#free) this.#free -= held;
    else await new Promise<void>((go) => this.#waiting.push({ bytes: held, go }));
    try {
      return await task();
    } finally {
      this.#free += held;
      this.#admit();
    }
  }

  #admit(): void {
    while (this.#waiting.length > 0 && this.#waiting[0]!.bytes <= this.#free) {
      const next = this.#waiting.shift()!;
      this.#free -= next.bytes;
      next.go();
    }
  }
}
