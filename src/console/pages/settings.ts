import { saveSettings, settingsView, type ChangeInput } from '../../config/console-settings.js';
import { t } from '../i18n.js';
import { sendPage } from '../layout.js';
import type { ConsolePage, ConsolePageOptions } from '../types.js';

/** The accounts a setting may name: the configured ones and every one the store has seen. */
export async function knownAccounts(
  opts: ConsolePageOptions,
): Promise<{ openKfId: string; name?: string }[]> {
  const { config, store } = opts;
  const ids = new Set([
    ...(config.wecom.openKfId ? [config.wecom.openKfId] : []),
    ...Object.keys(config.service.accounts),
    ...(await store.listAccounts()).map((a) => a.openKfId),
  ]);
  return [...ids].map((openKfId) => {
    const name = config.service.accounts[openKfId]?.name;
    return { openKfId, ...(name ? { name } : {}) };
  });
}

/**
 * What an owner changes without a terminal: welcome text and buttons, handoff words, text and
 * destination, quiet hours and their text, each account's bot. Validated by the config file's own
 * schemas (src/config/console-settings.ts), applied on the next message on every instance; secrets
 * are listed masked and are changed only in the config file.
 */
export const settingsPage: ConsolePage = async (app, opts) => {
  app.get('/settings', async (req, reply) =>
    sendPage(req, reply, opts.base, {
      title: t(req.consoleLang, 'nav_settings'),
      active: 'settings',
      script: 'settings.js',
      styles: ['ops.css'],
    }),
  );

  app.get('/api/settings', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return settingsView(opts.config, opts.store.consoleSettings, await knownAccounts(opts));
  });

  app.post<{ Body: { changes: ChangeInput[] } }>(
    '/api/settings',
    {
      schema: {
        body: {
          type: 'object',
          required: ['changes'],
          additionalProperties: false,
          properties: {
            changes: {
              type: 'array',
              minItems: 1,
              maxItems: 200,
              items: {
                type: 'object',
                required: ['scope', 'key', 'value'],
                additionalProperties: false,
                properties: {
                  scope: { type: 'string', minLength: 1, maxLength: 64 },
                  key: { type: 'string', minLength: 1, maxLength: 64 },
                  value: {
                    anyOf: [
                      { type: 'string', maxLength: 4000 },
                      { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 500 } },
                      { type: 'null' },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const accounts = (await knownAccounts(opts)).map((a) => a.openKfId);
      const r = await saveSettings(
        {
          store: opts.store.consoleSettings,
          reloadPipeline: () =>
            // Without the hook (tests) the pipeline still polls the store within seconds.
            opts.ops ? opts.ops.reloadSettings() : Promise.resolve(),
        },
        req.body.changes,
        accounts,
        req.operator || null,
        Date.now(),
      );
      if (!r.ok) {
        const zh = req.consoleLang === 'zh';
        reply.code(400);
        return {
          error: {
            code: 'invalid_settings',
            message: zh
              ? '有设置不正确，未保存。请按提示修改。'
              : 'Some settings are not valid; nothing was saved.',
            problems: r.problems.map((p) => ({
              scope: p.scope,
              key: p.key,
              message: zh ? p.problemZh : p.problem,
            })),
          },
        };
      }
      await req.audit(
        'settings',
        null,
        Object.fromEntries(req.body.changes.map((c) => [`${c.scope}/${c.key}`, c.value])),
      );
      return { ok: true, version: r.version };
    },
  );
};
