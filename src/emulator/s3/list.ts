/**
 * ListObjectsV2 (and the older ListObjects): keys in lexicographic order after `start-after` /
 * the continuation token, filtered by `prefix`, rolled up into `CommonPrefixes` at `delimiter`
 * (each common prefix counts toward `max-keys`, default and cap 1000), with an opaque
 * `NextContinuationToken` while truncated. `encoding-type=url` encodes keys and prefixes.
 */
import type { ServerResponse } from 'node:http';
import type { S3Call, S3Context } from './context.ts';
import { noSuchBucket, S3Error } from './errors.ts';
import { isoTime, quoted, sendXml } from './reply.ts';
import { xmlDocument, type XmlNode } from './xml.ts';

const MAX_KEYS = 1000;

interface Position {
  /** List keys strictly after this one… */
  after: string;
  /** …and none under this common prefix (the last entry of the previous page was one). */
  skip?: string;
}

const encodeToken = (p: Position): string => Buffer.from(JSON.stringify(p)).toString('base64');

function decodeToken(token: string): Position {
  try {
    const p = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Position;
    if (typeof p.after === 'string') return p;
  } catch {
    // answered below
  }
  throw new S3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect', [
    ['ArgumentName', 'continuation-token'],
  ]);
}

interface Page {
  contents: string[];
  prefixes: string[];
  truncated: boolean;
  next: Position | undefined;
}

function listPage(keys: readonly string[], prefix: string, delimiter: string, max: number, from: Position): Page {
  const page: Page = { contents: [], prefixes: [], truncated: false, next: undefined };
  for (const key of keys) {
    if (key <= from.after || !key.startsWith(prefix)) continue;
    if (from.skip && key.startsWith(from.skip)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = cut === -1 ? undefined : key.slice(0, cut + delimiter.length);
    if (common !== undefined && common === page.prefixes[page.prefixes.length - 1]) continue;
    if (page.contents.length + page.prefixes.length >= max) {
      page.truncated = true;
      break;
    }
    if (common !== undefined) {
      page.prefixes.push(common);
      page.next = { after: key, skip: common };
    } else {
      page.contents.push(key);
      page.next = { after: key };
    }
  }
  return page;
}

export async function listObjects(ctx: S3Context, res: ServerResponse, call: S3Call, v2: boolean): Promise<void> {
  await ctx.beforeRead();
  if (!ctx.store.bucket(call.bucket)) throw noSuchBucket(call.bucket);
  const q = call.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const rawMax = q.get('max-keys');
  const max = rawMax === null ? MAX_KEYS : Math.min(MAX_KEYS, Number(rawMax));
  if (!Number.isInteger(max) || max < 0)
    throw new S3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range', [
      ['ArgumentName', 'max-keys'],
    ]);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  const marker = q.get('marker') ?? '';
  // A V1 marker that is a common prefix (a previous NextMarker) resumes after everything under it.
  const v1 = { after: marker, ...(delimiter && marker.endsWith(delimiter) ? { skip: marker } : {}) };
  const from: Position = v2 ? (token !== null ? decodeToken(token) : { after: startAfter }) : v1;
  const page = listPage(ctx.store.keys(call.bucket), prefix, delimiter, max, from);
  const url = q.get('encoding-type') === 'url';
  const enc = (s: string) => (url ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  const contents: XmlNode[] = page.contents.map((key) => {
    const rec = ctx.store.get(call.bucket, key);
    return [
      'Contents',
      [
        ['Key', enc(key)],
        ['LastModified', isoTime(rec?.lastModifiedMs ?? 0)],
        ['ETag', quoted(rec?.etag ?? '')],
        ['ChecksumAlgorithm', rec?.checksum?.algorithm],
        ['ChecksumType', rec?.checksum ? 'FULL_OBJECT' : undefined],
        ['Size', rec?.size ?? 0],
        ['StorageClass', 'STANDARD'],
      ],
    ];
  });
  const common: XmlNode[] = page.prefixes.map((p) => ['CommonPrefixes', [['Prefix', enc(p)]]]);
  const paging: XmlNode[] = v2
    ? [
        ['KeyCount', page.contents.length + page.prefixes.length],
        ['ContinuationToken', token ?? undefined],
        ['NextContinuationToken', page.truncated && page.next ? encodeToken(page.next) : undefined],
        ['StartAfter', q.has('start-after') ? enc(startAfter) : undefined],
      ]
    : [
        ['Marker', marker],
        ['NextMarker', page.truncated && delimiter && page.next ? enc(page.next.skip ?? page.next.after) : undefined],
      ];
  const xml = xmlDocument('ListBucketResult', [
    ['Name', call.bucket],
    ['Prefix', enc(prefix)],
    ['Delimiter', delimiter ? enc(delimiter) : undefined],
    ['MaxKeys', max],
    ['EncodingType', url ? 'url' : undefined],
    ['IsTruncated', page.truncated],
    ...paging,
    ...contents,
    ...common,
  ]);
  sendXml(res, xml, ctx.counter);
}
