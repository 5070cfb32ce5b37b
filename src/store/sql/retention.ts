import { ERASED_PAYLOAD } from '../maintenance-types.js';
import { PENDING, type SqlDb } from './db.js';

/** Rows of the primary key per statement: each statement reads at most this many rows. */
const CHUNK = 100;
const CLOCK_MARGIN_MS = 60_000;

/**
 * Retention (WXCOZE_RETENTION_DAYS): the customer content of old, finished messages is erased, the
 * rows stay. Every column that can hold what a customer or an answer said is cleared here — the
 * payload (the sync_msg item: text, media ids, file names, locations, links), `parts` (the stored
 * answer), `transcript` (a voice's words) and `media_filename`. What stays is what the console's
 * charts count (src/store/sql/console-stats.ts reads created_at, origin, state, is_handoff,
 * send_time, updated_at): `updated_at` is not touched, so latencies and the live feed are unchanged.
 * `note` stays: it holds wxcoze's own words (failed: coze …, handoff, operator: name), and the
 * handoff flag is computed from it.
 *
 * The walk goes through the primary key in ranges of CHUNK seqs, up to the newest message created
 * before the cutoff (seq follows creation). Each statement reads at most CHUNK rows, whatever the
 * inbox holds: asking for "the next unerased rows" instead read past every row already erased,
 * which are kept, so each batch grew with the history (430 ms at a million rows, on the HTTP
 * thread for SQLite). A day's run still walks every old row once, in short statements.
 */
export async function eraseBefore(db: SqlDb, cutoff: number): Promise<number> {
  const { qb } = db;
  // The walk's end: the highest seq among the rows of the newest created_at before the cutoff (a
  // page's rows share one created_at, and within it the index orders them by origin and state,
  // not seq), a minute past the cutoff for instances whose clocks differ. Rows past the cutoff
  // that this takes in are kept by the UPDATE's own created_at condition.
  const newest = await db.first(
    qb
      .selectFrom('inbox')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('created_at', '=', (eb) =>
        eb
          .selectFrom('inbox')
          .select((e) => e.fn.max('created_at').as('at'))
          .where('created_at', '<', cutoff + CLOCK_MARGIN_MS),
      ),
  );
  if (newest?.seq === null || newest?.seq === undefined) return 0;
  const oldest = await db.first(qb.selectFrom('inbox').select((eb) => eb.fn.min('seq').as('seq')));
  const last = Number(newest.seq);
  let erased = 0;
  for (let from = Number(oldest?.seq ?? 0); from <= last; from += CHUNK) {
    erased += await db.run(
      qb
        .updateTable('inbox')
        .set({ payload: ERASED_PAYLOAD, parts: null, transcript: null, media_filename: null })
        .where('seq', '>=', from)
        .where('seq', '<', Math.min(from + CHUNK, last + 1))
        .where('created_at', '<', cutoff)
        .where('state', 'not in', PENDING)
        .where('payload', '<>', ERASED_PAYLOAD),
    );
    // Let the event loop answer in between (SQLite runs on this thread).
    await new Promise((r) => setImmediate(r));
  }
  return erased;
}
