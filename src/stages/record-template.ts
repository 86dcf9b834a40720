/**
 * `{field}` templates over a source record and the target's wildcards, shared by the requests and
 * merge stages so a `custom_id` is derived identically on both sides of the Batch API.
 */
export type TemplateResult = { ok: true; text: string } | { ok: false; missing: string };

const FIELD = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function fillTemplate(
  template: string,
  record: Readonly<Record<string, unknown>>,
  bindings: Readonly<Record<string, string>>,
): TemplateResult {
  let missing: string | undefined;
  const text = template.replace(FIELD, (whole, name: string) => {
    const value = Object.hasOwn(record, name) ? record[name] : bindings[name];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      missing ??= name;
      return whole;
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
  return missing === undefined ? { ok: true, text } : { ok: false, missing };
}

export function templateFields(template: string): string[] {
  return [...new Set([...template.matchAll(FIELD)].map((m) => m[1]!))];
}

export { isRecord } from '../util/is-record.ts';
