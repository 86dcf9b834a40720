/**
 * What `pipeline init` learns from the first records of a dataset: each field's type, how often
 * it is present, whether its values are unique; and from that, which field identifies a record
 * and which one holds the text to send to the model.
 */
import { err, ok, type Result } from '../util/result.ts';

export interface FieldSummary {
  name: string;
  /** Records (of the sample) where the field is present and not empty. */
  present: number;
  /** Kinds of value seen: 'string', 'number', 'boolean', 'object', 'array'. */
  kinds: Set<string>;
  /** Every present value is a string or a number, and no two are equal. */
  unique: boolean;
  /** Mean length of the string values (0 when there are none). */
  meanLength: number;
  /** Some string value contains whitespace: words, not a key. */
  spaced: boolean;
}

export function summariseFields(records: readonly Record<string, unknown>[]): FieldSummary[] {
  const names = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return names.map((name) => {
    const kinds = new Set<string>();
    const seen = new Set<string>();
    let present = 0;
    let unique = true;
    let lengths = 0;
    let strings = 0;
    let spaced = false;
    for (const record of records) {
      const value = record[name];
      if (value === undefined || value === null || value === '') continue;
      present += 1;
      const kind = Array.isArray(value) ? 'array' : typeof value;
      kinds.add(kind);
      if (typeof value === 'string') {
        strings += 1;
        lengths += value.length;
        spaced ||= /\s/.test(value);
      }
      if (kind !== 'string' && kind !== 'number') unique = false;
      const key = `${kind}:${JSON.stringify(value)}`;
      if (seen.has(key)) unique = false;
      seen.add(key);
    }
    return { name, present, kinds, unique, meanLength: strings > 0 ? lengths / strings : 0, spaced };
  });
}

/** What a `{field}` in a template can name (src/stages/record-template.ts). */
export const TEMPLATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longer strings than this are prose, not keys: editing the text would change the record's identity. */
const MAX_KEY_LENGTH = 64;
const ID_NAMES = /^(id|_id|key|uuid|guid)$|(_id|Id|_key|_uuid|_number|_no|_num)$/;

export interface IdChoice {
  field: string;
  /** Other fields that would also do, for the message. */
  alternatives: string[];
}

/**
 * The id field: present in every record, a string or number, unique, and short (a key, not prose).
 * A field named like an id wins; then numbers; then the shortest values.
 */
export function chooseIdField(
  fields: readonly FieldSummary[],
  total: number,
  requested?: string,
): Result<IdChoice, string> {
  // Words are not keys: a title or a sentence changes when someone fixes a typo. (--id can still name one.)
  const isKey = (f: FieldSummary) =>
    f.present === total && f.unique && !f.spaced && f.meanLength <= MAX_KEY_LENGTH && TEMPLATE_NAME.test(f.name);
  if (requested !== undefined) {
    const field = fields.find((f) => f.name === requested);
    if (!field) return err(`--id ${requested}: no such field (fields: ${fields.map((f) => f.name).join(', ')})`);
    if (!TEMPLATE_NAME.test(requested))
      return err(`--id ${requested}: a template cannot name it (letters, digits and "_" only); rename the field`);
    if (field.present < total)
      return err(`--id ${requested}: missing or empty in ${total - field.present} of the first ${total} records`);
    if (!field.unique)
      return err(`--id ${requested}: its values are not unique strings or numbers in the first ${total} records`);
    return ok({ field: requested, alternatives: [] });
  }
  // Named like an id first; then the first column (where datasets keep their key); then numbers.
  const rank = (f: FieldSummary) => (ID_NAMES.test(f.name) ? 0 : f === fields[0] ? 1 : f.kinds.has('number') ? 2 : 3);
  const sorted = fields.filter(isKey).sort((a, b) => rank(a) - rank(b) || fields.indexOf(a) - fields.indexOf(b));
  const best = sorted[0];
  if (!best) {
    return err(
      `no field identifies a record: none is present, unique and short in all of the first ${total} records. ` +
        'Add one (a row number will do) or name one with --id FIELD.',
    );
  }
  return ok({ field: best.name, alternatives: sorted.slice(1).map((f) => f.name) });
}

const TEXT_NAMES = /text|content|body|review|description|analysis|question|comment|message|prompt|abstract|summary/i;

/** The text for the prompt: the string field present in most records, then named like text, then the longest. */
export function chooseTextField(fields: readonly FieldSummary[], idField: string): string | undefined {
  const texts = fields.filter(
    (f) => f.name !== idField && f.kinds.size === 1 && f.kinds.has('string') && TEMPLATE_NAME.test(f.name),
  );
  const score = (f: FieldSummary) => [f.present, TEXT_NAMES.test(f.name) ? 1 : 0, f.meanLength] as const;
  texts.sort((a, b) => {
    const [x, y] = [score(a), score(b)];
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
  });
  return texts[0]?.name;
}

/** What a field looks like, for the user: `text, 212 chars on average, in 90/100`. */
export function describeField(f: FieldSummary, total: number): string {
  const kinds = [...f.kinds].map((k) => (k === 'string' ? 'text' : k)).join('/') || 'empty';
  const mean = Math.round(f.meanLength);
  const length = f.kinds.has('string') ? `, ${mean} char${mean === 1 ? '' : 's'} on average` : '';
  const unique = f.unique && f.present === total ? ', unique' : '';
  return `${kinds}${length}${unique}${f.present < total ? `, in ${f.present}/${total}` : ''}`;
}
