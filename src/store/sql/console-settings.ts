import type { ConsoleSettingsStore, SettingScope, StoredSetting } from '../console-types.js';
import { prepared, type SqlDb } from './db.js';

const versionQuery = prepared((qb) =>
  qb.selectFrom('console_settings').select((eb) => eb.fn.max('updated_at').as('v')),
);

/**
 * Settings an owner changed in the console, as validated values (JSON). The pipeline of every
 * instance polls `version()` (a MAX over a handful of rows) and reloads on a change; a
 * value of null means "follow the config file again" (kept as a row, so the version still grows).
 */
export class ConsoleSettings implements ConsoleSettingsStore {
  constructor(private readonly db: SqlDb) {}

  async list(): Promise<StoredSetting[]> {
    const rows = await this.db.rows(this.db.qb.selectFrom('console_settings').selectAll());
    return rows.map((r) => ({
      scope: r.scope,
      key: r.key,
      value: JSON.parse(r.value) as unknown,
      updatedAt: Number(r.updated_at),
      updatedBy: r.updated_by ?? null,
    }));
  }

  async version(): Promise<number> {
    const r = await this.db.first(versionQuery(this.db.qb));
    return r?.v === null || r?.v === undefined ? 0 : Number(r.v);
  }

  /**
   * One transaction. The version is strictly greater than every earlier one, even for two saves in
   * the same millisecond or a clock a little behind another instance's, so no instance misses a change.
   */
  async save(
    changes: { scope: SettingScope; key: string; value: unknown }[],
    by: string | null,
    now: number,
  ): Promise<number> {
    return this.db.tx(async (db) => {
      const r = await db.first(versionQuery(db.qb));
      const at = Math.max(now, (r?.v === null || r?.v === undefined ? 0 : Number(r.v)) + 1);
      for (const c of changes) {
        const value = JSON.stringify(c.value ?? null);
        await db.run(
          db.qb
            .insertInto('console_settings')
            .values({ scope: c.scope, key: c.key, value, updated_at: at, updated_by: by })
            .$call((q) =>
              db.dialect === 'mysql'
                ? q.onDuplicateKeyUpdate({ value, updated_at: at, updated_by: by })
                : q.onConflict((oc) =>
                    oc.columns(['scope', 'key']).doUpdateSet({ value, updated_at: at, updated_by: by }),
                  ),
            ),
        );
      }
      return at;
    });
  }
}
