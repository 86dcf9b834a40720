/**
 * Resumable upload sessions (`X-Goog-Upload-Protocol: resumable`): `start` opens one and answers
 * its URL, the chunks (`upload`, the last one `upload, finalize`) append to a temp file in the
 * files store at the offset the client names. Sessions live in memory: a restarted server has
 * forgotten them (the client starts again, as after an expired session on the real service).
 */
import { randomBytes } from 'node:crypto';

export interface UploadSession {
  tmp: string;
  /** The size announced at start, when there was one. */
  declared: number | null;
  mimeType: string;
  displayName: string;
  /** The id asked for (`files/<id>` in the start body), else null: one is made up at the end. */
  id: string | null;
  received: number;
}

export class UploadSessions {
  #byId = new Map<string, UploadSession>();

  open(session: Omit<UploadSession, 'received'>): string {
    const uploadId = randomBytes(24).toString('base64url');
    this.#byId.set(uploadId, { ...session, received: 0 });
    return uploadId;
  }

  get(uploadId: string): UploadSession | undefined {
    return this.#byId.get(uploadId);
  }

  close(uploadId: string): void {
    this.#byId.delete(uploadId);
  }
}
