/**
 * media/upload and media/get (docs/protocol.md §media). Upload is parsed by a real multipart parser (undici's, behind the
 * global Response), so a malformed request from our client fails here exactly as it would upstream.
 * Errors on media/get are HTTP 200 + JSON, which is the trap the client must detect.
 */
import type { FastifyInstance } from 'fastify';
import { newMediaId } from './ids.js';
import { fail } from './reply.js';
import type { FakeState } from './state.js';

const LIMITS: Record<string, { max: number; errcode: number }> = {
  image: { max: 10 * 1024 * 1024, errcode: 40009 },
  voice: { max: 2 * 1024 * 1024, errcode: 40006 },
  video: { max: 10 * 1024 * 1024, errcode: 40011 },
  file: { max: 20 * 1024 * 1024, errcode: 40006 },
};
const MIN_BYTES = 6; // "every file > 5 bytes"

const EXT: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'audio/amr': 'amr',
  'video/mp4': 'mp4',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
};

export function storeMedia(
  state: FakeState,
  type: string,
  data: Buffer,
  contentType: string,
  filename?: string,
): string {
  const mediaId = newMediaId();
  const name = filename || `${mediaId}.${EXT[contentType] ?? 'bin'}`;
  state.media.set(mediaId, { data, contentType, filename: name, type, createdAt: state.now() });
  return mediaId;
}

export function registerMedia(app: FastifyInstance, state: FakeState): void {
  app.post('/cgi-bin/media/upload', async (req) => {
    const type = (req.query as Record<string, string | undefined>).type ?? '';
    const limit = LIMITS[type];
    if (!limit) return fail(40004, 'invalid media type');
    if (!Buffer.isBuffer(req.body)) return fail(44001, 'empty media data');
    let part: FormDataEntryValue | null;
    try {
      const form = await new Response(req.body as Uint8Array<ArrayBuffer>, {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
      part = form.get('media');
    } catch {
      return fail(44001, 'empty media data');
    }
    if (!part || typeof part === 'string') return fail(44001, 'empty media data');
    const data = Buffer.from(await part.arrayBuffer());
    if (data.length < MIN_BYTES) return fail(40006, 'invalid file size');
    if (data.length > limit.max) return fail(limit.errcode, 'media size out of limit');
    // A voice message plays only as AMR (docs/protocol.md §media): anything else is refused.
    if (type === 'voice' && data.subarray(0, 6).toString('latin1') !== '#!AMR\n')
      return fail(40005, 'invalid file type: voice must be AMR');
    const mediaId = storeMedia(state, type, data, part.type || 'application/octet-stream', part.name);
    return {
      errcode: 0,
      errmsg: '',
      type,
      media_id: mediaId,
      created_at: String(Math.floor(state.now() / 1000)),
    };
  });

  app.get('/cgi-bin/media/get', async (req, reply) => {
    const mediaId = (req.query as Record<string, string | undefined>).media_id ?? '';
    const media = state.media.get(mediaId);
    const expired = media && state.now() - media.createdAt > 3 * 24 * 3600_000;
    if (!media || expired)
      return reply.type('application/json; charset=utf-8').send(fail(40007, 'invalid media_id'));
    return reply
      .type(media.contentType)
      .header('content-disposition', contentDisposition(media.filename))
      .send(media.data);
  });
}

/** Plain ASCII filename plus the RFC 5987 form, so non-ASCII names survive. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
