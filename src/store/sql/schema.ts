/**
 * The tables as the query builder sees them (Kysely's types). Numbers are BIGINT in MySQL: the
 * driver may hand them back as strings, so rows are mapped through `src/store/rows.ts`.
 * `Generated` marks a column with a default: optional when inserting.
 */
import type { Generated } from 'kysely';

export interface AccountsTable {
  open_kfid: string;
  cursor: string | null;
  first_seen_at: number;
  last_pull_at: number | null;
  last_error: string | null;
}

export interface InboxTable {
  seq: Generated<number>;
  msgid: string;
  open_kfid: string;
  external_userid: string;
  origin: number;
  msgtype: string;
  send_time: number;
  payload: string;
  state: string;
  attempts: Generated<number>;
  next_attempt_at: Generated<number>;
  lease_owner: string | null;
  lease_until: Generated<number>;
  parts: string | null;
  parts_sent: Generated<number>;
  note: string | null;
  /** 1 when the stored answer is the apology: delivered, the message still ends `failed` (migration 4). */
  apologized: Generated<number>;
  /** Bumped when an operator has the message answered anew: its part msgids change (migration 8). */
  reply_round: Generated<number>;
  /** When an operator dismissed the failed message; null: the console still flags it (migration 8). */
  dismissed_at: Generated<number | null>;
  coze_conversation_id: string | null;
  coze_chat_id: string | null;
  /** A voice message's transcript, as the pipeline got it from Coze (migration 10). */
  transcript: Generated<string | null>;
  /** A file's name, as media/get gave it when the pipeline fetched it (migration 10). */
  media_filename: Generated<string | null>;
  /** 1 when the note says the message was handed to a human: a VIRTUAL generated column for the charts (migration 9). Never written. */
  is_handoff: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface SentLogTable {
  out_msgid: string;
  open_kfid: string;
  external_userid: string;
  sent_at: number;
  inbound_msgid: string | null;
}

export interface CustomersTable {
  open_kfid: string;
  external_userid: string;
  mode: Generated<string>;
  mode_since: Generated<number>;
  fallback_sent_at: Generated<number>;
  quiet_notice_at: Generated<number>;
  updated_at: number;
  /** WeChat nickname and avatar URL from customer/batchget (migration 7); null until known. */
  nickname: string | null;
  avatar: string | null;
  /** When customer/batchget was last asked about this customer (ms; 0 never). */
  profile_at: Generated<number>;
  /** The customer's newest inbox row (the console's "latest activity", migration 7). */
  last_seq: Generated<number>;
}

export interface UsersTable {
  id: string;
  created_at: number;
}
export interface IdentitiesTable {
  channel: string;
  external_id: string;
  user_id: string;
  created_at: number;
}
export interface LegacyWebIdentitiesTable {
  external_id: string;
  user_id: string;
  created_at: number;
}
export interface ConversationsTable {
  user_id: string;
  bot_key: string;
  conversation_id: string;
  updated_at: number;
  /** The Coze credential that made it: 'token', 'oauth:<app id>'; null = 'token' (made before migration 12). */
  coze_auth: string | null;
}
/** One row per running process: its lease owner, its instance id, and when it last showed it is alive (migration 5). */
export interface HeartbeatsTable {
  owner: string;
  instance_id: string;
  host: string;
  pid: number;
  started_at: number;
  beat_at: number;
  /** 1 once the process stopped (or a restart under the same instance id replaced it): its leases are free. */
  gone: Generated<number>;
}
/** Who may use the operator console (migration 6): a name and a scrypt hash (src/console/auth/password.ts). */
export interface OperatorsTable {
  name: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}
/** A console login (migration 6), keyed by the SHA-256 of the cookie's value, never the value itself. */
export interface ConsoleSessionsTable {
  id_hash: string;
  operator: string;
  /** The token every state-changing request of this session must carry. */
  csrf: string;
  created_at: number;
  /** Absolute end of the session, whatever its use. */
  expires_at: number;
  last_seen_at: number;
}
/** Every operator action (migration 6): who, what, when, which customer. */
export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  operator: string;
  action: string;
  open_kfid: string | null;
  external_userid: string | null;
  detail: string | null;
}
/** Failed console logins per key (`ip:<address>`, `op:<name>`) in the current window (migration 6). */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_start: number;
}
/** Settings an owner changed in the console (migration 9): they win over the config file's. */
export interface ConsoleSettingsTable {
  /** '*' for the defaults of every account, else an open_kfid. */
  scope: string;
  key: string;
  /** JSON of the validated value; 'null' = follow the config file again. */
  value: string;
  updated_at: number;
  updated_by: string | null;
}
/**
 * One row per alert condition (migration 11, src/store/sql/alerts.ts): where the condition stands
 * and what the channel was last told, shared by every instance. The row `~rate` counts the sends of
 * the current minute instead (the robot's 20 a minute is per robot, not per instance).
 */
export interface AlertStatesTable {
  alert: string;
  /** 'ok' | 'pending' (seen, not yet long enough) | 'firing'. */
  state: Generated<string>;
  /** When the condition was first seen in this episode (ms; 0 when ok). `~rate`: the minute's start. */
  since: Generated<number>;
  /** Firing, but seen clear since then (ms; 0 when not). */
  clear_since: Generated<number>;
  /** The firing's description (JSON), kept for its recovery message. */
  detail: string | null;
  /** What the channel was last told: 'firing' | 'resolved'. */
  sent: Generated<string>;
  sent_at: Generated<number>;
  /** The instance sending it now, and until when its claim holds. */
  send_owner: string | null;
  send_until: Generated<number>;
  /** Failed sends in a row (`~rate`: sends this minute), and when the next may be tried. */
  send_attempts: Generated<number>;
  next_send_at: Generated<number>;
  /** Grows with every change of state: a change is written only from the version it was decided on. */
  version: Generated<number>;
  updated_at: number;
}

/** One satisfaction survey (migration 14, src/store/sql/surveys.ts): its claim, its send, the rating. */
export interface SurveysTable {
  id: Generated<number>;
  open_kfid: string;
  external_userid: string;
  /** The newest inbox row of the conversation it closes: a later conversation gets its own survey. */
  last_seq: number;
  /** 'quiet' (the AI's conversation went quiet) | 'session_end' (a WeCom servicer ended the session). */
  via: string;
  /** 'claimed' (being sent by `owner` until `claim_until`) | 'sent' | 'failed'. */
  state: string;
  owner: string | null;
  claim_until: Generated<number>;
  out_msgid: string | null;
  note: string | null;
  /** The choice's place among the buttons (1 = best) and its words; null until the customer clicks. */
  rating: number | null;
  rating_label: string | null;
  rated_at: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * The daily jobs' bookkeeping (migration 13, src/store/sql/maintenance.ts): one row per job
 * ('backup', 'retention'; 'restore' records the last `wxcoze restore`). A job is claimed for a day
 * with one conditional UPDATE, so of several instances exactly one runs it.
 */
export interface MaintenanceTable {
  job: string;
  /** The local day (YYYY-MM-DD) the job last completed for; null: never. */
  last_day: string | null;
  /** When it last completed (ms; 0: never). */
  last_run_at: Generated<number>;
  /** What it did (a backup's file, how many messages were erased), one line, never customer text. */
  last_result: string | null;
  /** The instance running it now, and until when its claim holds. */
  owner: string | null;
  until: Generated<number>;
  updated_at: number;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface DB {
  accounts: AccountsTable;
  inbox: InboxTable;
  sent_log: SentLogTable;
  customers: CustomersTable;
  users: UsersTable;
  identities: IdentitiesTable;
  legacy_web_identities: LegacyWebIdentitiesTable;
  conversations: ConversationsTable;
  heartbeats: HeartbeatsTable;
  operators: OperatorsTable;
  console_sessions: ConsoleSessionsTable;
  audit_log: AuditLogTable;
  login_throttle: LoginThrottleTable;
  console_settings: ConsoleSettingsTable;
  alert_states: AlertStatesTable;
  surveys: SurveysTable;
  maintenance: MaintenanceTable;
  schema_migrations: SchemaMigrationsTable;
}
