import { explainWecomError } from '../../ops/health.js';
import { attachmentHeader, mediaRefOf, type MediaRef } from '../../ops/customer-media.js';
import { sendProblem } from '../errors.js';
import type { ConsolePage } from '../types.js';

const ID = { type: 'string', minLength: 1, maxLength: 64 } as const;

const LABEL: Record<MediaRef['msgtype'], { zh: string; en: string }> = {
  image: { zh: '图片', en: 'image' },
  voice: { zh: '语音', en: 'voice message' },
  video: { zh: '视频', en: 'video' },
  file: { zh: '文件', en: 'file' },
};

/** How long the browser keeps a media it got: its media_id never points to other bytes. */
const CACHE = 'private, max-age=86400';

/**
 * GET <base>/media?kf=&user=&seq=: the image, voice, video or file of one message of a customer's
 * thread, fetched from WeCom (media/get) when asked. Not under /api/: a download link opened by the
 * browser gets a readable page when it fails (a script asking for JSON gets JSON).
 *
 * Customer content is hostile. It is shown inline only when its bytes prove a raster image (jpeg,
 * png, gif, webp, bmp), under `nosniff` and a CSP that forbids everything (`sandbox`: even opened
 * on its own it runs nothing); everything else is an `application/octet-stream` attachment under a
 * cleaned name. Refusals: expired (410, media ids live 3 days), too large (413), this instance
 * busy with other downloads (503), WeCom failed (502).
 */
export const mediaPage: ConsolePage = async (app, opts) => {
  app.get<{ Querystring: { kf: string; user: string; seq: number } }>(
    '/media',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { kf: ID, user: ID, seq: { type: 'integer', minimum: 1 }, lang: { type: 'string' } },
          required: ['kf', 'user', 'seq'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const { kf, user, seq } = req.query;
      const zh = req.consoleLang === 'zh';
      const item = await opts.store.conversations.message(kf, user, seq);
      const ref = item && mediaRefOf(item);
      if (!ref)
        return sendProblem(req, reply, opts.base, {
          status: 404,
          code: 'not_found',
          message: zh
            ? '这位客户没有这条带图片或文件的消息（链接可能不完整）。'
            : 'This customer has no such message with an image or a file (the link may be incomplete).',
        });
      const what = LABEL[ref.msgtype][zh ? 'zh' : 'en'];
      if (!opts.ops)
        return sendProblem(req, reply, opts.base, {
          status: 503,
          code: 'unavailable',
          message: zh ? `此处无法从企业微信取${what}。` : `The ${what} cannot be fetched from WeCom here.`,
        });
      const got = await opts.ops.media.fetch(ref, seq);
      switch (got.kind) {
        case 'expired':
          return sendProblem(req, reply, opts.base, {
            status: 410,
            code: 'media_expired',
            message: zh
              ? `${what}已过期（企业微信只保留 3 天），无法再查看。`
              : `The ${what} has expired (WeCom keeps media for 3 days only) and can no longer be fetched.`,
          });
        case 'too_large': {
          const mb = Math.round(got.maxBytes / 1024 / 1024);
          return sendProblem(req, reply, opts.base, {
            status: 413,
            code: 'media_too_large',
            message: zh
              ? `${what}超过 ${mb} MB，控制台不提供下载；请在企业微信客户端中查看。`
              : `The ${what} is larger than ${mb} MB, too large for the console; open it in the WeCom app.`,
          });
        }
        case 'busy':
          reply.header('retry-after', '2');
          return sendProblem(req, reply, opts.base, {
            status: 503,
            code: 'busy',
            message: zh
              ? '正在下载的图片和文件太多，请几秒后再试。'
              : 'Too many images and files are being fetched right now; try again in a few seconds.',
          });
        case 'failed': {
          const e = explainWecomError(new Error(got.reason));
          const why = zh ? (e.meaningZh ?? e.meaning ?? got.reason) : (e.meaning ?? got.reason);
          return sendProblem(req, reply, opts.base, {
            status: 502,
            code: 'wecom',
            message: zh
              ? `没能从企业微信取到${what}：${why}。请稍后再试；一直失败请看「运行状态」页。`
              : `WeCom did not give the ${what}: ${why}. Try again later; if it keeps failing, see the Health page.`,
          });
        }
        case 'image':
          return reply
            .code(200)
            .type(got.mime)
            .header('content-disposition', attachmentHeader(got.filename, 'inline'))
            .header('content-security-policy', "default-src 'none'; sandbox")
            .header('x-content-type-options', 'nosniff')
            .header('cross-origin-resource-policy', 'same-origin')
            .header('cache-control', CACHE)
            .send(got.data);
        case 'download':
          return reply
            .code(200)
            .type('application/octet-stream')
            .header('content-disposition', attachmentHeader(got.filename))
            .header('content-security-policy', "default-src 'none'; sandbox")
            .header('x-content-type-options', 'nosniff')
            .header('cross-origin-resource-policy', 'same-origin')
            .header('cache-control', CACHE)
            .send(got.data);
      }
    },
  );
};
