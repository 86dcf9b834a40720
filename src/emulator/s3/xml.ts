/**
 * The little XML S3 speaks: documents built from nested elements, and the two request bodies the
 * SDK sends (CompleteMultipartUpload's part list, DeleteObjects' key list) read with a tolerant
 * scan — they are flat, small and machine-written, so no XML library is needed.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e] ?? '';
  });
}

/** An element tree: `[name, children]` where children are text, numbers, booleans or elements. */
export type XmlNode = [string, XmlValue];
export type XmlValue = string | number | boolean | null | undefined | XmlNode[];

/** One element; a null/undefined value omits it, so optional fields need no branching. */
export function element([name, value]: XmlNode): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return `<${name}>${value.map(element).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A whole document with S3's namespace on the root. */
export function xmlDocument(root: string, children: XmlNode[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${children.map(element).join('')}</${root}>`;
}

/** The text of every `<tag>…</tag>` block, in order. */
export function blocks(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1] ?? '');
  return out;
}

/** The unescaped text of the first `<tag>`, or undefined. */
export function field(xml: string, tag: string): string | undefined {
  const found = blocks(xml, tag)[0];
  return found === undefined ? undefined : unescapeXml(found);
}
