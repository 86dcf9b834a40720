/**
 * Whether a command needs a provider at all: a remote target not proven up to date by its record
 * (mtime, size, fingerprint) may have work to send, or batches in flight to collect. When none
 * has, a `build` or `status` needs no key, opens no connection and, with `--offline`, starts no
 * emulator. The stats and records read here are handed on to the command's own pass.
 */
import path from 'node:path';
import { freshByStamps } from '../engine/build.ts';
import { FileStamps } from '../engine/file-stamps.ts';
import { StateStore } from '../engine/state-store.ts';
import type { Project } from './project.ts';

export interface FirstRead {
  stamps: FileStamps;
  store: StateStore;
  /** The targets this check proved up to date, for the command's own pass not to check them again. */
  provenFresh?: ReadonlySet<string>;
}

export function firstRead(project: Project): FirstRead {
  return { stamps: new FileStamps(), store: new StateStore(path.join(project.root, project.stateDir)) };
}

export function remoteWorkIn(
  project: Project,
  wanted: readonly string[],
  read: FirstRead,
  /** Targets that take the full path whatever their records say (`--force`). */
  forced: readonly string[] = [],
): boolean {
  const { root, graph, rules } = project;
  const remote = wanted.filter((id) => rules.get(graph.targets.get(id)!.rule.name)!.stage.remote);
  if (remote.length === 0) return false;
  const fresh = freshByStamps({ root, graph, rules, ...read }, wanted, new Set(forced));
  read.provenFresh = fresh;
  return remote.some((id) => !fresh.has(id));
}
