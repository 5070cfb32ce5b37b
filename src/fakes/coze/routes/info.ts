/** Token and bot checks used by setup wizards (docs/protocol.md §coze-checks): /v1/users/me and /v1/bots/:id. */
import type { FastifyInstance } from 'fastify';
import { fail, ok } from '../envelope.js';
import type { FakeState } from '../state.js';

export function registerInfoRoutes(
  app: FastifyInstance,
  state: FakeState,
  metadataDenied: ReadonlySet<string> = new Set(),
): void {
  app.get('/v1/users/me', async (_req, reply) =>
    ok(reply, {
      user_id: '7300000000000000001',
      user_name: 'fake_user',
      nick_name: 'Fake Coze User',
      avatar_url: '',
    }),
  );

  app.get('/v1/bots/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (metadataDenied.has(id))
      return fail(
        reply,
        4101,
        'The token you entered does not have permission to access this resource (getMetadata)',
      );
    const published = state.botIds ? state.botIds.has(id) : true;
    if (!published && !state.unpublishedBotIds.has(id))
      return fail(reply, 4006, 'invalid bot: bot not found or no access');
    return ok(reply, {
      bot_id: id,
      name: `Fake bot ${id.slice(-4)}`,
      description: 'A bot served by the fake Coze',
      icon_url: '',
      create_time: 1718000000,
      update_time: 1718000000,
      version: '1',
      bot_mode: 0,
      onboarding_info: { prologue: '', suggested_questions: [] },
    });
  });
}
