import { ERASED_PAYLOAD } from '../maintenance-types.js';
import { PENDING, type SqlDb } from './db.js';

const BATCH = 500;

/**
 * Retention (WXCOZE_RETENTION_DAYS): the customer content of old, finished messages is erased, the
 * rows stay. Every column that can hold what a customer or an answer said is cleared here — the
 * payload (the sync_msg item: text, media ids, file names, locations, links), `parts` (the stored
 * answer), `transcript` (a voice's words) and `media_filename`. What stays is what the console's
 * charts count (src/store/sql/console-stats.ts reads created_at, origin, state, is_handoff,
 * send_time, updated_at): `updated_at` is not touched, so latencies and the live feed are unchanged.
 * `note` stays: it holds wxcoze's own words (failed: coze …, handoff, operator: name), and the
 * handoff flag is computed from it.
 */
export async function eraseBefore(db: SqlDb, cutoff: number): Promise<number> {
  let erased = 0;
  for (;;) {
    const seqs = (
      await db.rows(
        db.qb
          .selectFrom('inbox')
          .select('seq')
          .where('created_at', '<', cutoff)
          .where('state', 'not in', PENDING)
          .where('payload', '<>', ERASED_PAYLOAD)
          .orderBy('seq')
          .limit(BATCH),
      )
    ).map((r) => Number(r.seq));
    if (seqs.length === 0) return erased;
    erased += await db.run(
      db.qb
        .updateTable('inbox')
        .set({ payload: ERASED_PAYLOAD, parts: null, transcript: null, media_filename: null })
        .where('seq', 'in', seqs),
    );
    // Let the event loop answer in between (SQLite runs on this thread).
    await new Promise((r) => setImmediate(r));
  }
}
