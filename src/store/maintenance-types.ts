/**
 * The daily jobs' shared bookkeeping and the erasing of customer content (migration 13):
 * `src/store/sql/maintenance.ts`, `retention.ts`, `forget.ts`. Used by src/ops/maintenance/ and the CLI.
 */

export type MaintenanceJob = 'backup' | 'retention' | 'restore';

export interface MaintenanceRun {
  job: string;
  /** The local day (YYYY-MM-DD) the daily job last completed for; null: never by the daily job. */
  lastDay: string | null;
  /** When it last completed (ms; 0: never). */
  lastRunAt: number;
  /** One line of what it did (a backup's file, messages erased); never customer text. */
  lastResult: string | null;
}

export interface MaintenanceStore {
  /**
   * Claims `job` for `day` (one conditional UPDATE): true for exactly one caller while the day is
   * not done and no other claim holds; the claim lapses after `holdMs` (an instance that died).
   */
  claim(job: MaintenanceJob, day: string, owner: string, now: number, holdMs: number): Promise<boolean>;
  /** The claimed run succeeded: the day is done. */
  complete(job: MaintenanceJob, day: string, owner: string, result: string, now: number): Promise<void>;
  /** The claimed run failed: the claim is given back (the next look tries again). */
  release(job: MaintenanceJob, owner: string, now: number): Promise<void>;
  /** A run outside the daily schedule (`wxcoze backup`, `wxcoze restore`): when and what, the day unchanged. */
  record(job: MaintenanceJob, result: string, now: number): Promise<void>;
  last(job: MaintenanceJob): Promise<MaintenanceRun | undefined>;
}

/** Who `wxcoze customers forget` would erase, and how much of them the store holds. */
export interface ForgetPlan {
  /** The internal user (u_…), when the person has one. */
  userId: string | null;
  /** Their WeChat customers' external_userids (inbox, customers, sent_log rows are keyed by them). */
  externalUserIds: string[];
  /** Every channel identity of the user, as channel:external_id. */
  identities: string[];
  messages: number;
  sentLog: number;
  customers: number;
  conversations: number;
  auditRows: number;
}

export type ForgetMatch =
  | { kind: 'none' }
  | { kind: 'one'; plan: ForgetPlan }
  /** The id names several internal users (e.g. the same OpenAI `user` under several keys): pick one. */
  | { kind: 'many'; userIds: string[] };

export interface PrivacyStore {
  /**
   * Erases the customer content of messages stored before `cutoff` (ms) that are finished: the
   * payload (text, media ids, names), the stored answer, a voice's transcript, a file's name. The
   * row stays (state, times, origin, handoff flag), so the console's charts keep counting it.
   * Returns how many rows were erased. Works in small batches (the main thread stays responsive).
   */
  eraseBefore(cutoff: number): Promise<number>;
  /** What forgetting `id` (u_…, an external_userid, an OpenAI `user`) would erase. */
  findPerson(id: string): Promise<ForgetMatch>;
  /** Erases the person: messages, sent log, customer rows, identities, conversation refs, user; audit rows lose the customer's id. */
  forget(plan: ForgetPlan): Promise<ForgetPlan>;
  /**
   * SQLite: the erased text is overwritten in the file (secure_delete is on for every connection)
   * and the WAL is checkpointed and truncated, so no old page with it stays. MySQL: nothing to do
   * (its binary and redo logs are the server's). Returns false when the checkpoint could not finish.
   */
  compact(): Promise<boolean>;
}

/** The payload an erased message keeps: no customer content, and says why it is empty. */
export const ERASED_PAYLOAD = '{"erased":true}';
