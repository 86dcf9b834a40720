/**
 * The targets' records, in one append-only log `<root>/<stateDir>/targets.log` (ninja's
 * `.ninja_log`): one JSON line per record written or removed, the last line of a target wins. A
 * no-op build reads one file instead of one per target. A record is written only after the
 * target's output is complete (or, for a failure, after the failure is known), and each line is
 * flushed to disk before the write returns, so a removal can never be lost behind a crash.
 *
 * A missing, old or unreadable record means "stale", never an error: the worst case is
 * re-checking work, and remote stages keep their own ledger, so nothing paid for is lost (ninja's
 * build log rule). A torn last line (a crash mid-append) is skipped, and the next append starts
 * on a new line. Only the holder of the build lock writes; the first write of a process rewrites
 * the log without its superseded lines when they outnumber the live ones, atomically, so a reader
 * sees the old log or the new one. Records of older versions (one JSON file per target under
 * `targets/`) are read when there is no log yet, and moved into it by the first write.
 *
 * The log's first line is the state header (util/state-format.ts). A log without one (written by
 * llmake 0.1.0) is read as it is and rewritten with it by the first write; a log whose header
 * names a newer format is refused (NewerStateError) by every read and write, and left untouched.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { StageFailure, TokenUsage } from '../stages/types.ts';
import { tempPathFor } from '../util/fs-atomic.ts';
import { isStateHeaderLine, STATE_HEADER } from '../util/state-format.ts';
import { LogBytes } from './log-bytes.ts';
import { decodeStamps, encodeRecordLine, stampsOfRecord } from './state-line.ts';
import type { RecordStamps } from './state-line.ts';
import { isTargetRecord, type TargetRecord } from './target-record.ts';

export type { FileStamp, TargetRecord } from './target-record.ts';
export type { RecordStamps } from './state-line.ts';

export const STATE_LOG = 'targets.log';
/** Enough of the log's start to hold its header line. */
const HEAD_BYTES = 256;
/** Where records lived before the log: one JSON file per target. */
const LEGACY_DIR = 'targets';

interface Removal {
  target: string;
  removed: true;
}

export class StateStore {
  /** The live record of each target: parsed, or still the offset of its log line (parsed on demand). */
  #records: Map<string, TargetRecord | number> | undefined;
  /** The log as read: the lines of records not parsed yet are found in it by offset. */
  #log: LogBytes | undefined;
  /** Lines in the log file, live or superseded (for compaction). */
  #lines = 0;
  /** The log does not end with a newline (a torn append): the next line must start on a fresh one. */
  #torn = false;
  /** The records came from the per-target files of an older version: the first write moves them. */
  #legacy = false;
  /** The log starts with the state header (else the first write rewrites it with one). */
  #headed = false;
  #compacted = false;

  constructor(readonly dir: string) {}

  get logFile(): string {
    return path.join(this.dir, STATE_LOG);
  }

  /**
   * Throws NewerStateError when the log in `dir` was written by a newer llmake, reading its first
   * line only: what a command checks before it takes the lock or connects anywhere.
   */
  static checkFormat(dir: string): void {
    const file = path.join(dir, STATE_LOG);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const head = Buffer.alloc(HEAD_BYTES);
      const text = head.toString('utf8', 0, readSync(fd, head, 0, HEAD_BYTES, 0));
      const end = text.indexOf('\n');
      isStateHeaderLine(end === -1 ? text : text.slice(0, end), file);
    } finally {
      closeSync(fd);
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so callers always get a promise, errors included
  async read(target: string): Promise<TargetRecord | undefined> {
    return this.readSync(target);
  }

  readSync(target: string): TargetRecord | undefined {
    const records = this.#load();
    const entry = records.get(target);
    if (typeof entry !== 'number') return entry;
    const record = parseRecord(this.#json(entry));
    // A damaged line reads as no record: that target is stale.
    if (record?.target === target) records.set(target, record);
    else records.delete(target);
    return record?.target === target ? record : undefined;
  }

  /**
   * What a no-op needs of a target's record (its stamps, config hash and spend), without parsing
   * the record's JSON; undefined when there is no record, or it is a failure or a retry (then
   * readSync has the whole story).
   */
  stampsSync(target: string): RecordStamps | undefined {
    const entry = this.#load().get(target);
    if (entry === undefined) return undefined;
    if (typeof entry !== 'number') return stampsOfRecord(entry);
    const log = this.#log!;
    const end = log.lineEnd(entry);
    const json = log.jsonStart(entry, end);
    const stamps = json === -1 ? undefined : decodeStamps(log.text(entry, json - 1));
    return stamps ?? (this.readSync(target) ? this.stampsSync(target) : undefined);
  }

  /** The JSON part of the stamped line at `start` (all of it when the line is damaged, so that it fails to parse). */
  #json(start: number): string {
    const log = this.#log!;
    const end = log.lineEnd(start);
    const json = log.jsonStart(start, end);
    return log.text(json === -1 ? start : json, end);
  }

  async write(record: TargetRecord): Promise<void> {
    await this.#append(record);
  }

  async recordFailure(
    base: Omit<TargetRecord, 'failure' | 'output' | 'builtAt'>,
    failure: StageFailure,
    at: number,
    usage?: TokenUsage,
  ): Promise<void> {
    await this.write({ ...base, ...(usage ? { usage } : {}), failure: { ...failure, at } });
  }

  async remove(target: string): Promise<void> {
    if (!this.#load().has(target) && !this.#legacy) return;
    await this.#append({ target, removed: true });
  }

  /** Reads the log once per store (synchronously: one file, whatever the number of targets). */
  #load(): Map<string, TargetRecord | number> {
    if (this.#records) return this.#records;
    const records = new Map<string, TargetRecord | number>();
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(this.logFile);
    } catch (error) {
      // No log: never built (or built by an older version). Anything else (EACCES…) is not "no records".
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (bytes === undefined) this.#legacy = readLegacyRecords(path.join(this.dir, LEGACY_DIR), records);
    else {
      const log = new LogBytes(bytes);
      this.#log = log;
      // A torn last line (a crash mid-append) is not a record, whatever its prefix says: only
      // lines ended by a newline are read.
      this.#torn = log.torn;
      let first = true;
      log.forEachLine((start, end) => {
        if (first) {
          first = false;
          // Throws for a newer format before anything is read into the store (or could be written).
          this.#headed = isStateHeaderLine(log.text(start, end), this.logFile);
          if (this.#headed) return;
        }
        if (end === start) return;
        this.#lines += 1;
        // A stamped line is kept as its offset: its stamps and JSON are decoded when asked for.
        const tab = log.isJson(start) ? -1 : log.firstTab(start, end);
        if (tab > start) {
          records.set(log.text(start, tab), start);
          return;
        }
        const entry = parseLine(log.text(start, end));
        if (entry === undefined) return; // torn or hand-edited: that target reads as stale
        if (isTargetRecord(entry)) records.set(entry.target, entry);
        else records.delete(entry.target); // a removal, or a record this version cannot use
      });
    }
    this.#records = records;
    return records;
  }

  /** The text of the log's line at `start` (a stamped line kept by offset). */
  #line(start: number): string {
    return this.#log!.text(start, this.#log!.lineEnd(start));
  }

  // Synchronous throughout: appends and the compaction of concurrent targets can never interleave.
  // eslint-disable-next-line @typescript-eslint/require-await -- async so callers always get a promise, errors included
  async #append(entry: TargetRecord | Removal): Promise<void> {
    const records = this.#load();
    if ('removed' in entry) records.delete(entry.target);
    else records.set(entry.target, entry);
    if (!this.#compacted && (this.#legacy || !this.#headed || this.#lines > 2 * records.size + 64)) {
      // Rewrite with the header and the live records only (this one included), then retire the old files.
      this.#compacted = true;
      const lines = [...records.values()]
        .map((r) => `${typeof r === 'number' ? this.#line(r) : encodeRecordLine(r)}\n`)
        .join('');
      writeSynced(this.logFile, `${STATE_HEADER}\n${lines}`);
      this.#lines = records.size;
      this.#torn = false;
      this.#headed = true;
      if (this.#legacy) rmSync(path.join(this.dir, LEGACY_DIR), { recursive: true, force: true });
      this.#legacy = false;
      return;
    }
    mkdirSync(this.dir, { recursive: true });
    const line = 'removed' in entry ? JSON.stringify(entry) : encodeRecordLine(entry);
    writeFlushed(this.logFile, 'a', `${this.#torn ? '\n' : ''}${line}\n`);
    this.#torn = false;
    this.#lines += 1;
  }
}

/** Writes (or appends) `data` and flushes it to disk before returning. */
function writeFlushed(file: string, flags: 'a' | 'w', data: string): void {
  const fd = openSync(file, flags, 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `file` atomically: a flushed temp file beside it, renamed into place. */
function writeSynced(file: string, data: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    writeFlushed(tmp, 'w', data);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

function parseRecord(json: string): TargetRecord | undefined {
  const entry = parseLine(json);
  return entry && isTargetRecord(entry) ? entry : undefined;
}

function parseLine(line: string): { target: string } | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && typeof (v as { target?: unknown }).target === 'string'
      ? (v as { target: string })
      : undefined;
  } catch {
    return undefined;
  }
}

/** The per-target record files of older versions; true when there were any. */
function readLegacyRecords(dir: string, into: Map<string, TargetRecord | number>): boolean {
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return false;
  }
  for (const file of files) {
    if (!file.endsWith('.json') || path.basename(file).startsWith('.')) continue;
    try {
      const v: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      if (isTargetRecord(v)) into.set(v.target, v);
    } catch {
      // unreadable: that target reads as stale
    }
  }
  return files.length > 0;
}
