/**
 * One server, several providers: each request goes to the flavour its path (AWS: its signature)
 * names (flavours.ts); the `/_emulator` test controls come first, and the OpenAI flavour takes what
 * no other owns.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleControl, type Controls } from './control.ts';

export function dispatch(controls: Controls, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  if (pathname.startsWith('/_emulator/')) return handleControl(controls, req, res, pathname);
  // In order: AWS first (by its SigV4 signature: S3's paths could be anyone's), the OpenAI
  // flavour, which owns every path, last.
  const flavour = controls.flavours.find((f) => f.owns(req, url.pathname));
  if (!flavour) throw new Error('Internal error: no flavour serves every path');
  return flavour.serve(req, res);
}
