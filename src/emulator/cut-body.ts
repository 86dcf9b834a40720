/**
 * A download whose connection ends part-way through its body (the `cutDownloads` fault): the
 * status, the headers (with the whole file's content-length) and the first share of the bytes are
 * sent, then the socket is reset (RST) or closed (FIN, a truncated stream), as a flaky network or a
 * proxy giving up does. The client holds a body shorter than it was promised: reading it fails
 * part-way, after the SDK's own retries (which cover only getting the headers) are over.
 */
import type { ServerResponse } from 'node:http';
import type { BodyCut } from './faults.ts';

type Chunk = string | Uint8Array;
type Callback = (error?: Error | null) => void;

/** Makes the body `res` is about to send end at `cut.fraction` of its length; `onCut` when it does. */
export function cutBodyPartWay(res: ServerResponse, cut: BodyCut, onCut: () => void): void {
  let length: number | undefined;
  let sent = 0;
  /** Set once the cut point is reached: nothing more is sent. */
  let cutting = false;
  /** An error answer (a 404, a refusal) is sent whole: only a file's content is cut. */
  let whole = false;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const write = res.write.bind(res) as (chunk: Chunk, cb?: Callback) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;

  const stop = () => {
    onCut();
    const socket = res.socket;
    if (cut.how === 'reset' && socket) socket.resetAndDestroy();
    else res.destroy(); // closes the socket: the client reads a FIN before the promised length
  };

  res.writeHead = (status: number, ...rest: unknown[]) => {
    const headers = rest.find((r): r is Record<string, unknown> => typeof r === 'object' && r !== null);
    const declared = Number(headers?.['content-length'] ?? res.getHeader('content-length'));
    if (Number.isFinite(declared)) length = declared;
    whole = status >= 300;
    return writeHead(status, ...rest);
  };

  res.write = ((chunk: Chunk, ...rest: unknown[]) => {
    if (whole)
      return write(
        chunk,
        rest.find((r): r is Callback => typeof r === 'function'),
      );
    if (cutting) return true;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    // The cut point: a share of the whole body, or of the first chunk when no length was declared.
    const at = Math.max(1, Math.floor((length ?? bytes.length) * cut.fraction));
    if (sent + bytes.length < at) {
      sent += bytes.length;
      return write(
        bytes,
        rest.find((r): r is Callback => typeof r === 'function'),
      );
    }
    // Sent, then cut once the bytes are on the wire.
    cutting = true;
    write(bytes.subarray(0, at - sent), () => stop());
    sent = at;
    return true;
  }) as ServerResponse['write'];

  res.end = ((...args: unknown[]) => {
    if (whole) return end(...args);
    if (cutting) return res;
    const chunk = args[0];
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
      res.write(chunk);
      return cutting ? res : end(...args.slice(1));
    }
    return end(...args);
  }) as ServerResponse['end'];
}
