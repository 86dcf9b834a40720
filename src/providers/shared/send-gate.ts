/**
 * The last moment before a create's request leaves this process, for every transport alike.
 *
 * The batch stage records "this create may have been sent" in its ledger there, and not before:
 * a part whose record still says "not sent" after a crash is known to have made nothing, and is
 * created again at once instead of being searched for (a sibling's create caught in flight by a
 * kill would otherwise wait out the adoption window). The record must precede the bytes, never
 * follow them: written after the send, a crash in between would leave "not sent" beside a batch
 * that exists, and the re-create would make a second one.
 *
 * A transport runs its create inside `throughSendGate` and passes the gate where the request is
 * handed to the network: in the fetch its SDK calls (`countingFetch`), in its SDK's last
 * middleware, or in a fetch given to the SDK for the create alone (Gemini's `httpOptions.fetch`). The hook
 * is carried by async context, not by argument, because the SDKs stand between the create and the
 * fetch; calls outside a gated create pass it as a no-op.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface Gate {
  readonly beforeSend: () => Promise<void>;
  /** The hook's one run: SDK retries of the same request (Bedrock's, idempotent) wait on it, never run it twice. */
  passed?: Promise<void>;
}

const gates = new AsyncLocalStorage<Gate>();

/** Runs a create whose request, wherever the transport sends it, first awaits `beforeSend` (once). */
export function throughSendGate<T>(beforeSend: (() => Promise<void>) | undefined, send: () => Promise<T>): Promise<T> {
  return beforeSend ? gates.run({ beforeSend }, send) : send();
}

/**
 * Called where the request is handed to the network: awaits the gated create's hook. A hook that
 * throws (its record could not be written) stops the request here, before any byte is sent.
 */
export function atSendGate(): Promise<void> {
  const gate = gates.getStore();
  if (!gate) return Promise.resolve();
  gate.passed ??= gate.beforeSend();
  return gate.passed;
}

/** The global fetch behind the gate: for an SDK whose other calls keep their own fetch (Gemini's create). */
export const gatedFetch: typeof fetch = async (input, init) => {
  await atSendGate();
  return fetch(input, init);
};
