import { fileTypeFromBuffer } from 'file-type';
import type { KfMessage } from '../wecom/types.js';
import type { CozeEnterMessage, CozePort, CozeTarget, WecomPort } from './ports.js';

export type CozeInput = { kind: 'coze'; messages: CozeEnterMessage[] } | { kind: 'unsupported'; reason: string };

/** Image kinds Coze takes as images; anything else is not sent as an image. */
const IMAGE_EXTS = new Set(['jpg', 'png', 'gif', 'webp', 'bmp', 'tif', 'heic', 'heif']);

/**
 * Turns one customer message into what Coze is asked. Text goes as text; an image is fetched from
 * WeCom, uploaded to Coze under a name whose extension comes from its bytes (Coze rejects a .jpg
 * that is really a PNG), and sent as a multimodal object_string. Other types are not sent to Coze.
 */
export async function toCozeInput(m: KfMessage, deps: { wecom: WecomPort; coze: CozePort; target: CozeTarget }): Promise<CozeInput> {
  switch (m.msgtype) {
    case 'text': {
      const content = m.text?.content ?? '';
      if (!content.trim()) return { kind: 'unsupported', reason: 'empty text' };
      return { kind: 'coze', messages: [{ role: 'user', type: 'question', content, content_type: 'text' }] };
    }
    case 'image': {
      const mediaId = m.image?.media_id;
      if (!mediaId) return { kind: 'unsupported', reason: 'image without media_id' };
      // The chatflow API takes plain text messages only (files go in workflow-specific parameters).
      if (deps.target.kind === 'chatflow') return { kind: 'unsupported', reason: 'images are not passed to a chatflow' };
      const media = await deps.wecom.getMedia(mediaId);
      const type = await fileTypeFromBuffer(media.data);
      if (!type || !IMAGE_EXTS.has(type.ext)) return { kind: 'unsupported', reason: `image bytes not recognised (${type?.mime ?? 'unknown'})` };
      const file = await deps.coze.uploadFile(`${mediaId.slice(0, 40)}.${type.ext}`, media.data, type.mime);
      const items = [
        { type: 'text', text: '（用户发送了一张图片）' },
        { type: 'image', file_id: file.id },
      ];
      return { kind: 'coze', messages: [{ role: 'user', type: 'question', content: JSON.stringify(items), content_type: 'object_string' }] };
    }
    default:
      return { kind: 'unsupported', reason: `msgtype ${m.msgtype}` };
  }
}
