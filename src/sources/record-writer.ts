/**
 * Writes records in one of the source formats, streamed: JSONL (one object per line), a JSON array
 * (one element per line, so the file stays diffable) or CSV (the first record's keys as the header;
 * nested values as JSON text, since a cell holds only text).
 */
import { stringify } from 'csv-stringify/sync';
import { JsonlWriter } from '../util/jsonl-writer.ts';
import type { SourceFormat } from './format.ts';

export class RecordWriter {
  #header: string[] | undefined;
  /** A JSON array's element waits for the next one to know whether a comma follows it. */
  #heldBack: string | undefined;
  records = 0;

  private constructor(
    private readonly out: JsonlWriter,
    readonly format: SourceFormat,
  ) {}

  static async open(file: string, format: SourceFormat): Promise<RecordWriter> {
    const writer = new RecordWriter(await JsonlWriter.open(file), format);
    if (format === 'json') await writer.out.writeLine('[');
    return writer;
  }

  async write(record: Record<string, unknown>): Promise<void> {
    this.records += 1;
    switch (this.format) {
      case 'jsonl':
        return this.out.write(record);
      case 'json':
        if (this.#heldBack !== undefined) await this.out.writeLine(`${this.#heldBack},`);
        this.#heldBack = JSON.stringify(record);
        return;
      case 'csv':
        return this.#writeCsv(record);
    }
  }

  async #writeCsv(record: Record<string, unknown>): Promise<void> {
    if (this.#header === undefined) {
      this.#header = Object.keys(record);
      await this.out.writeLine(csvLine(this.#header));
    }
    const extra = Object.keys(record).find((key) => !this.#header!.includes(key));
    // Records from a CSV source all have the header's columns plus the same added fields.
    if (extra !== undefined) throw new Error(`CSV output: "${extra}" is not a column of the first record`);
    await this.out.writeLine(csvLine(this.#header.map((key) => cell(record[key]))));
  }

  async close(): Promise<void> {
    if (this.format === 'json') {
      if (this.#heldBack !== undefined) await this.out.writeLine(this.#heldBack);
      await this.out.writeLine(']');
    }
    await this.out.close();
  }
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function csvLine(cells: readonly string[]): string {
  return stringify([cells], { record_delimiter: '' });
}
