import { t } from '../i18n.js';
import { sendPage } from '../layout.js';
import { sendProblem } from '../errors.js';
import type { ConsolePage } from '../types.js';

/** The health page: accounts, WeCom and Coze, backlog, store and cache, instances (src/ops/health.ts). */
export const healthPage: ConsolePage = async (app, opts) => {
  app.get('/health', async (req, reply) =>
    sendPage(req, reply, opts.base, {
      title: t(req.consoleLang, 'nav_health'),
      active: 'health',
      script: 'health.js',
      styles: ['ops.css'],
    }),
  );

  app.get('/api/health', async (req, reply) => {
    if (!opts.ops)
      return sendProblem(req, reply, opts.base, {
        status: 503,
        code: 'unavailable',
        message: req.consoleLang === 'zh' ? '运行状态暂不可用。' : 'Health is not available here.',
      });
    reply.header('cache-control', 'no-store');
    return opts.ops.health.report();
  });
};
