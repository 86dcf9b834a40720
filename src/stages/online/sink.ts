/**
 * Where the runner's answers go: a success's bill into the spend log first, then the answer into
 * the request cache (the paid answer is what must survive), then a line in the journal; failures
 * and sends into the journal only (a send that got no answer at all may have been billed: its
 * worst case goes into the spend log, see spend.ts). Each method resolves once its lines are
 * written, so a kill after it loses nothing.
 */
import type { LineUsage } from '../result-line.ts';
import { OnlineSpend } from './spend.ts';
import { readResultLine } from '../result-line.ts';
import type { z } from 'zod';
import { noteReply } from '../structured/note-reply.ts';
import type { RequestEntry } from '../work/request-file.ts';
import type { AnswerMeaning } from './answer.ts';
import type { JournalLine } from './journal.ts';
import { LineAppender } from './line-appender.ts';
import type { AnswerSink } from './runner.ts';
import type { Clock } from '../../util/clock.ts';

export class JournalSink implements AnswerSink {
  private constructor(
    private readonly cache: LineAppender,
    private readonly journal: LineAppender,
    private readonly clock: Clock,
    private readonly session: string,
    private readonly schema: z.ZodType | undefined,
    private readonly spend: OnlineSpend,
  ) {}

  static async open(
    files: { cache: string; journal: string },
    clock: Clock,
    session: string,
    spend: OnlineSpend,
    schema?: z.ZodType,
  ): Promise<JournalSink> {
    const cache = await LineAppender.open(files.cache);
    try {
      return new JournalSink(cache, await LineAppender.open(files.journal), clock, session, schema, spend);
    } catch (error) {
      await cache.close();
      throw error;
    }
  }

  note(line: JournalLine): Promise<void> {
    return this.journal.append(line);
  }

  async sent(entry: RequestEntry, server: string | undefined): Promise<string> {
    const k = OnlineSpend.newKey();
    await this.journal.append({
      t: 'sent',
      h: entry.hash,
      id: entry.customId,
      at: this.clock.now(),
      k,
      ...(server !== undefined ? { s: server } : {}),
    });
    return k;
  }

  async succeeded(
    entry: RequestEntry,
    line: Record<string, unknown>,
    send: string,
    server: string | undefined,
  ): Promise<void> {
    const usage = usageOf(line);
    await this.spend.answered(entry, send, usage);
    const read = this.schema ? readResultLine(line) : undefined;
    if (this.schema && read?.kind === 'succeeded') {
      const row = { customId: entry.customId, attempt: entry.reask ?? 0 };
      const invalid = noteReply({}, entry.hash, read, this.schema, this.session, row);
      if (invalid) await this.journal.append({ t: 'invalid', h: entry.hash, ...invalid });
    }
    await this.cache.append({ hash: entry.hash, custom_id: entry.customId, batch: 'online', result: line });
    await this.journal.append({
      t: 'ok',
      h: entry.hash,
      id: entry.customId,
      at: this.clock.now(),
      in: usage.input,
      out: usage.output,
      ...(server !== undefined ? { s: server } : {}),
    });
  }

  async failed(
    entry: RequestEntry,
    meaning: Exclude<AnswerMeaning, { kind: 'succeeded' }>,
    final: boolean,
    exhausted: boolean,
    send: string,
  ): Promise<void> {
    // No answer at all (a timeout, a dropped connection): the server may have run it and billed it.
    if (meaning.kind === 'transient' && meaning.status === undefined) await this.spend.presume(entry, send);
    const status = 'status' in meaning ? meaning.status : undefined;
    const code = 'code' in meaning ? meaning.code : undefined;
    await this.journal.append({
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
