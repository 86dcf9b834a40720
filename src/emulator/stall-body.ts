/**
 * A download whose body stalls part-way (the `stallDownloads` fault): the status, the headers and
 * half of the body's first chunk are sent at once, then nothing for `ms`, then the rest, as a slow
 * link or a buffering proxy does. The answer came in time; a client that times the whole body, not
 * only the wait for the answer, gives up on a download that was still coming.
 */
import type { ServerResponse } from 'node:http';

type Chunk = string | Uint8Array;

/** Holds the body `res` is about to send for `ms` after its first bytes; `onStall` when it does. */
export function stallBodyPartWay(res: ServerResponse, ms: number, onStall: () => void): void {
  let phase: 'before' | 'stalled' | 'after' = 'before';
  /** Writes and the end that came while stalled, sent in order once it is over. */
  const held: (() => void)[] = [];
  /** An error answer (a 404, a refusal) is sent whole: only a file's content stalls. */
  let whole = false;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const write = res.write.bind(res) as (chunk: Chunk, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;

  res.writeHead = (status: number, ...rest: unknown[]) => {
    whole = status >= 300;
    return writeHead(status, ...rest);
  };

  res.write = ((chunk: Chunk, ...rest: unknown[]) => {
    if (whole || phase === 'after') return write(chunk, ...rest);
    if (phase === 'stalled') {
      held.push(() => write(chunk, ...rest));
      return false;
    }
    phase = 'stalled';
    onStall();
    const bytes = Buffer.from(chunk);
    const half = Math.floor(bytes.length / 2);
    write(bytes.subarray(0, half));
    // Real time on purpose, as slow replies: it exists to exercise the client's (wall-clock) timeouts.
    setTimeout(() => {
      if (res.destroyed) return;
      phase = 'after';
      write(bytes.subarray(half), ...rest);
      for (const send of held.splice(0)) send();
      res.emit('drain');
    }, ms);
    return false; // back-pressure: the sender waits for 'drain'
  }) as ServerResponse['write'];

  res.end = ((...args: unknown[]) => {
    if (whole || phase !== 'stalled') return end(...args);
    held.push(() => end(...args));
    return res;
  }) as ServerResponse['end'];
}
