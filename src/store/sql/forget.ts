import type { ForgetMatch, ForgetPlan } from '../maintenance-types.js';
import type { SqlDb } from './db.js';

/**
 * `wxcoze customers forget` (the right to erasure of China's personal-information law, PIPL art. 47):
 * one person's messages, sent log, customer rows, identities, conversation refs and internal user.
 * Audit rows keep what the operator did but lose the customer's id.
 */
export async function findPerson(db: SqlDb, id: string): Promise<ForgetMatch> {
  const { qb } = db;
  let userIds: string[];
  if (/^u_/.test(id) && (await db.first(qb.selectFrom('users').select('id').where('id', '=', id)))) {
    userIds = [id];
  } else {
    // An identity: a WeCom external_userid as it is, or an OpenAI `user` / Open WebUI id under
    // whichever key scope it came (src/openai/identity.ts: `<scope>/user:<value>`), or unscoped (legacy).
    // LIKE narrows (its _ and % may match more); the exact test is made here.
    const scoped = (x: string) => x === id || x.endsWith(`/user:${id}`) || x.endsWith(`/owui:${id}`);
    const rows = [
      ...(
        await db.rows(
          qb
            .selectFrom('identities')
            .select(['user_id', 'external_id'])
            .where((eb) =>
              eb.or([
                eb('external_id', '=', id),
                eb('external_id', 'like', `%/user:${id}`),
                eb('external_id', 'like', `%/owui:${id}`),
              ]),
            ),
        )
      ).filter((r) => scoped(r.external_id)),
      ...(await db.rows(
        qb
          .selectFrom('legacy_web_identities')
          .select(['user_id', 'external_id'])
          .where('external_id', 'in', [id, `user:${id}`]),
      )),
    ];
    userIds = [...new Set(rows.map((r) => r.user_id))];
  }
  if (userIds.length > 1) return { kind: 'many', userIds: userIds.sort() };
  const userId = userIds[0] ?? null;
  const identities = userId
    ? await db.rows(
        qb.selectFrom('identities').select(['channel', 'external_id']).where('user_id', '=', userId),
      )
    : [];
  const legacy = userId
    ? await db.rows(
        qb.selectFrom('legacy_web_identities').select('external_id').where('user_id', '=', userId),
      )
    : [];
  const external = new Set(identities.filter((x) => x.channel === 'wecom').map((x) => x.external_id));
  // A WeChat customer who never reached Coze has inbox rows but no identity.
  if (
    !userId &&
    (await db.first(qb.selectFrom('customers').select('external_userid').where('external_userid', '=', id)))
  )
    external.add(id);
  if (
    !userId &&
    (await db.first(qb.selectFrom('inbox').select('seq').where('external_userid', '=', id).limit(1)))
  )
    external.add(id);
  if (!userId && external.size === 0) return { kind: 'none' };
  return {
    kind: 'one',
    plan: await count(db, userId, [...external].sort(), [
      ...identities.map((x) => `${x.channel}:${x.external_id}`),
      ...legacy.map((x) => `web (before scoping):${x.external_id}`),
    ]),
  };
}

async function count(
  db: SqlDb,
  userId: string | null,
  ext: string[],
  identities: string[],
): Promise<ForgetPlan> {
  const { qb } = db;
  const n = async (q: { compile(): unknown }) =>
    Number(((await db.first(q as never)) as { n: number | string } | undefined)?.n ?? 0);
  const byExt = ext.length > 0;
  return {
    userId,
    externalUserIds: ext,
    identities,
    messages: byExt
      ? await n(
          qb
            .selectFrom('inbox')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('external_userid', 'in', ext),
        )
      : 0,
    sentLog: byExt
      ? await n(
          qb
            .selectFrom('sent_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('external_userid', 'in', ext),
        )
      : 0,
    customers: byExt
      ? await n(
          qb
            .selectFrom('customers')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('external_userid', 'in', ext),
        )
      : 0,
    conversations: userId
      ? await n(
          qb
            .selectFrom('conversations')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('user_id', '=', userId),
        )
      : 0,
    auditRows: byExt
      ? await n(
          qb
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('external_userid', 'in', ext),
        )
      : 0,
  };
}

/** Erases what `plan` names, in one transaction; returns what was there when it ran. */
export function forget(db: SqlDb, plan: ForgetPlan): Promise<ForgetPlan> {
  return db.tx(async (tx) => {
    const { qb } = tx;
    const ext = plan.externalUserIds;
    const done = await count(tx, plan.userId, ext, plan.identities);
    if (ext.length > 0) {
      await tx.run(qb.deleteFrom('inbox').where('external_userid', 'in', ext));
      await tx.run(qb.deleteFrom('sent_log').where('external_userid', 'in', ext));
      await tx.run(qb.deleteFrom('customers').where('external_userid', 'in', ext));
      await tx.run(
        qb.updateTable('audit_log').set({ external_userid: null }).where('external_userid', 'in', ext),
      );
    }
    if (plan.userId) {
      await tx.run(qb.deleteFrom('conversations').where('user_id', '=', plan.userId));
      await tx.run(qb.deleteFrom('identities').where('user_id', '=', plan.userId));
      await tx.run(qb.deleteFrom('legacy_web_identities').where('user_id', '=', plan.userId));
      await tx.run(qb.deleteFrom('users').where('id', '=', plan.userId));
    }
    return done;
  });
}
