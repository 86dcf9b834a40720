/**
 * AWS requests are told apart from the other flavours' by their SigV4 signature, not their path
 * (S3's path-style `/{bucket}/{key}` could be any path). The credential scope names the service:
 * `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/s3/aws4_request, …`, or a
 * presigned URL's `X-Amz-Credential`. Signatures are parsed, never verified: any key is accepted,
 * but one is required, as issue #33 asks.
 */
import type { IncomingMessage } from 'node:http';

export interface SigV4Scope {
  accessKeyId: string;
  region: string;
  /** `s3`, `bedrock`, … */
  service: string;
}

const SCOPE = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

function parseCredential(credential: string): SigV4Scope | null {
  const m = SCOPE.exec(credential.trim());
  return m?.[1] && m[3] && m[4] ? { accessKeyId: m[1], region: m[3], service: m[4] } : null;
}

/** The scope a request is signed with, or null when it carries no (well-formed) SigV4 signature. */
export function sigV4Scope(req: IncomingMessage): SigV4Scope | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256 ')) {
    const credential = /Credential=([^,\s]+)/.exec(auth)?.[1];
    return credential ? parseCredential(credential) : null;
  }
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  const credential = query.get('X-Amz-Credential');
  return query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256' && credential ? parseCredential(credential) : null;
}

/** Bedrock's control-plane paths: no other flavour uses them, so an unsigned call is still known as Bedrock's. */
export const isBedrockPath = (pathname: string): boolean => /^\/model-invocation-jobs?(\/|$)/.test(pathname);

/**
 * Whether a request is for the AWS flavour: signed with SigV4, or unsigned but sent by an AWS
 * client (its `x-amz-*` / `amz-sdk-*` headers, which no OpenAI, Anthropic or Azure client sends) or
 * to a Bedrock path. Unsigned ones are then refused as AWS refuses them; everything else is left
 * to the other flavours untouched.
 */
export function isAwsRequest(req: IncomingMessage): boolean {
  if (sigV4Scope(req) || req.headers.authorization?.startsWith('AWS4-')) return true;
  if (Object.keys(req.headers).some((h) => h.startsWith('x-amz-') || h.startsWith('amz-sdk-'))) return true;
  return isBedrockPath((req.url ?? '/').split('?')[0] ?? '/');
}
