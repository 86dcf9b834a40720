/**
 * Downloads that start part-way: after a dropped connection the protocol asks for a file again
 * from the byte it had reached. A server that honours `Range` answers 206 with the rest; one that
 * does not (or a transport that cannot ask) sends the whole file, and the bytes already received
 * are skipped here, so the stream a transport returns always starts at the byte asked for.
 */
import { Readable } from 'node:stream';

/** The header asking for the rest of a file, when not from its start. */
export function rangeHeader(from: number): Record<string, string> {
  return from > 0 ? { Range: `bytes=${from}-` } : {};
}

/** A response body as a stream that starts at byte `from` (`honoured`: the server sent only the rest). */
export function bodyFrom(body: ReadableStream<Uint8Array> | null, from: number, honoured: boolean): Readable {
  const stream = body ? Readable.fromWeb(body) : Readable.from([]);
  return honoured || from === 0 ? stream : skipBytes(stream, from);
}

/** The stream without its first `n` bytes. */
export function skipBytes(stream: Readable, n: number): Readable {
  let left = n;
  return Readable.from(
    (async function* () {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (left >= chunk.length) {
          left -= chunk.length;
          continue;
        }
        yield left > 0 ? chunk.subarray(left) : chunk;
        left = 0;
      }
    })(),
  );
}
