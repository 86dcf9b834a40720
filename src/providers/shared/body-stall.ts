/**
 * A deadline on a body's silences, not on its length. A result file of hundreds of MB may take
 * many minutes to come; what must not last is a wait with no bytes at all (a stalled link, a
 * proxy that holds the rest), which would otherwise hang the build. Each read that waits for the
 * network gets `timeoutMs`; when it passes with nothing come, `attempt` is aborted with a
 * `TimeoutError`, so the body fails where it had got to and the caller resumes from that byte.
 * Time the consumer spends between reads (writing to disk) is not counted: the timer runs only
 * while a read is waiting on the network.
 */
export function stallTimed(response: Response, attempt: AbortController, timeoutMs: number): Response {
  if (!response.body) return response;
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const timer = setTimeout(
          () => attempt.abort(new DOMException(`no bytes for ${timeoutMs} ms`, 'TimeoutError')),
          timeoutMs,
        );
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
