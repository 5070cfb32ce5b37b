/**
 * File routes (docs/protocol.md §coze-files): upload is multipart with exactly one part named `file`. Parsing is done
 * by the platform's own multipart parser (Response.formData) so the fake checks real framing.
 */
import type { FastifyInstance } from 'fastify';
import { fail, ok } from '../envelope.js';
import type { FakeState } from '../state.js';
import type { StoredFile } from '../types.js';

function fileObject(f: StoredFile): Record<string, unknown> {
  return { id: f.id, bytes: f.bytes, file_name: f.name, created_at: f.created_at };
}

export function registerFileRoutes(app: FastifyInstance, state: FakeState): void {
  app.post('/v1/files/upload', async (req, reply) => {
    const ct = req.headers['content-type'] ?? '';
    if (!ct.startsWith('multipart/form-data') || !Buffer.isBuffer(req.body))
      return fail(reply, 4300, 'file is empty or the request is not multipart/form-data');
    let form: FormData;
    try {
      form = await new Response(new Blob([new Uint8Array(req.body)]), {
        headers: { 'content-type': ct },
      }).formData();
    } catch {
      return fail(reply, 4304, 'broken multipart body');
    }
    const parts = form.getAll('file');
    if (parts.length > 1) return fail(reply, 4301, 'only one file per upload');
    const part = parts[0];
    if (!part || typeof part === 'string') return fail(reply, 4300, 'no file part named "file"');
    const data = Buffer.from(await part.arrayBuffer());
    if (data.length === 0) return fail(reply, 4300, 'file is empty');
    const f: StoredFile = {
      id: state.nextId(),
      name: part.name,
      bytes: data.length,
      data,
      created_at: state.now(),
    };
    if (part.type) f.contentType = part.type;
    state.files.set(f.id, f);
    return ok(reply, fileObject(f));
  });

  // Speech to text (coze-py audio.transcriptions): one multipart part `file`; ogg, mp3, wav only.
  app.post('/v1/audio/transcriptions', async (req, reply) => {
    const ct = req.headers['content-type'] ?? '';
    if (!ct.startsWith('multipart/form-data') || !Buffer.isBuffer(req.body))
      return fail(reply, 4300, 'file is empty or the request is not multipart/form-data');
    const form = await new Response(new Blob([new Uint8Array(req.body)]), { headers: { 'content-type': ct } })
      .formData()
      .catch(() => undefined);
    const part = form?.get('file');
    if (!part || typeof part === 'string') return fail(reply, 4300, 'no file part named "file"');
    const data = Buffer.from(await part.arrayBuffer());
    const text = state.transcriber({ name: part.name, data });
    if (text === null) return fail(reply, 4303, 'unsupported file type: use ogg, mp3 or wav');
    return ok(reply, { text });
  });

  app.get('/v1/files/retrieve', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const f = q.file_id ? state.files.get(q.file_id) : undefined;
    if (!f) return fail(reply, 4200, 'file not found');
    return ok(reply, fileObject(f));
  });
}
