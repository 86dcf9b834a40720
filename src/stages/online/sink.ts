/**
 * Where the runner's answers go: a success into the request cache first (the paid answer is what
 * must survive), then a line in the journal; failures and sends into the journal only. Each
 * method resolves once its lines are written, so a kill after it loses nothing.
 */
import type { LineUsage } from '../result-line.ts';
import { readResultLine } from '../result-line.ts';
import type { z } from 'zod';
import { noteReply } from '../structured/note-reply.ts';
import type { RequestEntry } from '../batch/request-file.ts';
import type { AnswerMeaning } from './answer.ts';
import type { JournalLine } from './journal.ts';
import { LineAppender } from './line-appender.ts';
import type { AnswerSink } from './runner.ts';
import type { Clock } from '../../util/clock.ts';

export class JournalSink implements AnswerSink {
  /** Tokens the server reported for the answers of this run, and how many answers. */
  readonly usage = { input: 0, output: 0, cached: 0, cacheWrite: 0 };
  answered = 0;
  /** Each answer's model and usage, for the spend log. */
  readonly billed: { model: string; usage: LineUsage }[] = [];

  private constructor(
    private readonly cache: LineAppender,
    private readonly journal: LineAppender,
    private readonly clock: Clock,
    private readonly session: string,
    private readonly schema: z.ZodType | undefined,
  ) {}

  static async open(
    files: { cache: string; journal: string },
    clock: Clock,
    session: string,
    schema?: z.ZodType,
  ): Promise<JournalSink> {
    const cache = await LineAppender.open(files.cache);
    try {
      return new JournalSink(cache, await LineAppender.open(files.journal), clock, session, schema);
    } catch (error) {
      await cache.close();
      throw error;
    }
  }

  note(line: JournalLine): Promise<void> {
    return this.journal.append(line);
  }

  sent(entry: RequestEntry): Promise<void> {
    return this.journal.append({ t: 'sent', h: entry.hash, id: entry.customId, at: this.clock.now() });
  }

  async succeeded(entry: RequestEntry, line: Record<string, unknown>): Promise<void> {
    const read = this.schema ? readResultLine(line) : undefined;
    if (this.schema && read?.kind === 'succeeded') {
      // The row's custom id and the attempt, as the batch stage names them (see reask.ts).
      const named = { ...read, customId: entry.reask ? `${entry.customId}__reask${entry.reask}` : entry.customId };
      const invalid = noteReply({}, entry.hash, named, this.schema);
      if (invalid) await this.journal.append({ t: 'invalid', h: entry.hash, ...invalid });
    }
    await this.cache.append({ hash: entry.hash, custom_id: entry.customId, batch: 'online', result: line });
    const usage = usageOf(line);
    this.usage.input += usage.input;
    this.usage.output += usage.output;
    this.usage.cached += usage.cached;
    this.usage.cacheWrite += usage.cacheWrite;
    this.answered += 1;
    this.billed.push({ model: entry.model, usage });
    await this.journal.append({
      t: 'ok',
      h: entry.hash,
      id: entry.customId,
      at: this.clock.now(),
      in: usage.input,
      out: usage.output,
    });
  }

  failed(
    entry: RequestEntry,
    meaning: Exclude<AnswerMeaning, { kind: 'succeeded' }>,
    final: boolean,
    exhausted: boolean,
  ): Promise<void> {
    const status = 'status' in meaning ? meaning.status : undefined;
    const code = 'code' in meaning ? meaning.code : undefined;
    return this.journal.append({
      t: 'err',
      h: entry.hash,
      id: entry.customId,
      at: this.clock.now(),
      ...(status !== undefined ? { status } : {}),
      ...(code !== undefined ? { code } : {}),
      message: meaning.message,
      ...(meaning.kind === 'throttled' ? { throttled: true } : {}),
      final,
      ...(exhausted ? { exhausted: true } : {}),
      session: this.session,
      ...(final ? { result: meaning.line } : {}),
    });
  }

  async close(): Promise<void> {
    try {
      await this.cache.close();
    } finally {
      await this.journal.close();
    }
  }
}

function usageOf(line: Record<string, unknown>): LineUsage {
  const read = readResultLine(line);
  return read?.kind === 'succeeded' ? read.usage : { input: 0, output: 0, total: 0, cached: 0, cacheWrite: 0 };
}
