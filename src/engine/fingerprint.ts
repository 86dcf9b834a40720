/**
 * The fingerprint is the one source of truth for "up to date": the stage kind and version, its
 * canonical configuration, and the content hashes of the target's actual input files.
 *
 * Inputs are identified by *content*, not by the upstream target's fingerprint. That is early
 * cutoff on purpose: when an upstream target is rebuilt and produces identical bytes, its
 * dependents stay fresh, and nobody pays for LLM calls twice (ninja's "restat").
 */
import { canonicalJson, hashText } from '../util/hash.ts';

/** Bump when the fingerprint's own recipe changes; every target becomes stale once. */
const FINGERPRINT_FORMAT = 1;

export interface StageIdentity {
  kind: string;
  version: number;
  config: unknown;
}

/**
 * Computed once per identity object: every target of a rule shares one (stageIdentity memoizes
 * it), and canonical JSON + sha256 of a stage config per target was a visible share of a no-op
 * build over tens of thousands of targets. Identities are never mutated.
 */
const configHashes = new WeakMap<StageIdentity, string>();

export function configHash(stage: StageIdentity): string {
  let hash = configHashes.get(stage);
  if (hash === undefined) {
    hash = hashText(
      canonicalJson({ format: FINGERPRINT_FORMAT, kind: stage.kind, version: stage.version, config: stage.config }),
    );
    configHashes.set(stage, hash);
  }
  return hash;
}

export function fingerprintOf(stage: StageIdentity, inputs: readonly { path: string; sha256: string }[]): string {
  // The canonical JSON of this value, written directly: its keys are already in order and it holds
  // only strings and arrays, so JSON.stringify gives the same bytes without the sorting replacer.
  return hashText(JSON.stringify({ config: configHash(stage), inputs: inputs.map((i) => [i.path, i.sha256]) }));
}
