import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Dialect } from './sql/db.js';
import type { DB } from './sql/schema.js';
import { activityUpsert } from './sql/console-conversations.js';

/**
 * The schema, one list of versions for both engines, recorded in `schema_migrations` (applied by
 * `migrate`, src/store/sql/migrate.ts). Versions 1–3 are history: each says the same thing in
 * SQLite's and in MySQL/MariaDB's dialect, kept as the exact text existing installs ran. From
 * version 4 on a step is written ONCE with Kysely's schema and query builders and compiled for
 * each engine. A step and its version record commit together where the engine allows it (MySQL
 * commits DDL implicitly: a failed step there is undone by its down steps, newest first).
 */
export type Migration = TextMigration | BuiltMigration;

export interface TextMigration {
  version: number;
  name: string;
  sqlite: string;
  /** Statements run in order. */
  mysql: string[];
  /** Undoes the statements of `mysql` that succeeded, newest first, when a later one fails. */
  mysqlDown: string[];
}

export interface BuiltMigration {
  version: number;
  name: string;
  /** Statements run in order, built once for both engines. */
  up(qb: Kysely<DB>, dialect: Dialect): CompiledQuery[];
  /**
   * What undoes each statement of `up`, in the same order (null: nothing to undo). MySQL only:
   * SQLite rolls the whole step back; MySQL runs these for the statements that succeeded, newest first.
   */
  down(qb: Kysely<DB>, dialect: Dialect): (CompiledQuery | null)[];
}

const MYSQL_TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'inbox, accounts, identity',
    sqlite: `
CREATE TABLE accounts (
  open_kfid     TEXT PRIMARY KEY,
  cursor        TEXT,
  first_seen_at INTEGER NOT NULL,
  last_pull_at  INTEGER,
  last_error    TEXT
);
CREATE TABLE inbox (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  msgid           TEXT NOT NULL UNIQUE,
  open_kfid       TEXT NOT NULL,
  external_userid TEXT NOT NULL,
  origin          INTEGER NOT NULL,
  msgtype         TEXT NOT NULL,
  send_time       INTEGER NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  lease_owner     TEXT,
  lease_until     INTEGER NOT NULL DEFAULT 0,
  parts           TEXT,
  parts_sent      INTEGER NOT NULL DEFAULT 0,
  note            TEXT,
  coze_conversation_id TEXT,
  coze_chat_id    TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX inbox_customer ON inbox (open_kfid, external_userid, seq);
CREATE INDEX inbox_pending ON inbox (seq) WHERE state IN ('received', 'answered', 'sending');
CREATE TABLE sent_log (
  out_msgid       TEXT PRIMARY KEY,
  open_kfid       TEXT NOT NULL,
  external_userid TEXT NOT NULL,
  sent_at         INTEGER NOT NULL
);
CREATE INDEX sent_log_customer ON sent_log (open_kfid, external_userid, sent_at);
CREATE TABLE users (
  id         TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
CREATE TABLE identities (
  channel     TEXT NOT NULL,
  external_id TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users (id),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (channel, external_id)
);
CREATE TABLE conversations (
  user_id         TEXT NOT NULL,
  bot_key         TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (user_id, bot_key)
);
`,
    mysql: [
      `CREATE TABLE accounts (
  open_kfid     VARCHAR(64) NOT NULL PRIMARY KEY,
  \`cursor\`      VARCHAR(256) NULL,
  first_seen_at BIGINT NOT NULL,
  last_pull_at  BIGINT NULL,
  last_error    TEXT NULL
) ${MYSQL_TABLE}`,
      `CREATE TABLE inbox (
  seq             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  msgid           VARCHAR(128) NOT NULL,
  open_kfid       VARCHAR(64) NOT NULL,
  external_userid VARCHAR(64) NOT NULL,
  origin          INT NOT NULL,
  msgtype         VARCHAR(32) NOT NULL,
  send_time       BIGINT NOT NULL,
  payload         MEDIUMTEXT NOT NULL,
  state           VARCHAR(16) NOT NULL,
  attempts        INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  lease_owner     VARCHAR(128) NULL,
  lease_until     BIGINT NOT NULL DEFAULT 0,
  parts           MEDIUMTEXT NULL,
  parts_sent      INT NOT NULL DEFAULT 0,
  note            TEXT NULL,
  coze_conversation_id VARCHAR(64) NULL,
  coze_chat_id    VARCHAR(64) NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE KEY inbox_msgid (msgid),
  KEY inbox_customer (open_kfid, external_userid, seq),
  KEY inbox_pending (state, seq)
) ${MYSQL_TABLE}`,
      `CREATE TABLE sent_log (
  out_msgid       VARCHAR(64) NOT NULL PRIMARY KEY,
  open_kfid       VARCHAR(64) NOT NULL,
  external_userid VARCHAR(64) NOT NULL,
  sent_at         BIGINT NOT NULL,
  KEY sent_log_customer (open_kfid, external_userid, sent_at)
) ${MYSQL_TABLE}`,
      `CREATE TABLE users (
  id         VARCHAR(64) NOT NULL PRIMARY KEY,
  created_at BIGINT NOT NULL
) ${MYSQL_TABLE}`,
      `CREATE TABLE identities (
  channel     VARCHAR(32) NOT NULL,
  external_id VARCHAR(191) NOT NULL,
  user_id     VARCHAR(64) NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (channel, external_id),
  KEY identities_user (user_id),
  CONSTRAINT identities_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ${MYSQL_TABLE}`,
      `CREATE TABLE conversations (
  user_id         VARCHAR(64) NOT NULL,
  bot_key         VARCHAR(96) NOT NULL,
  conversation_id VARCHAR(64) NOT NULL,
  updated_at      BIGINT NOT NULL,
  PRIMARY KEY (user_id, bot_key)
) ${MYSQL_TABLE}`,
    ],
    mysqlDown: [
      'DROP TABLE IF EXISTS conversations',
      'DROP TABLE IF EXISTS identities',
      'DROP TABLE IF EXISTS users',
      'DROP TABLE IF EXISTS sent_log',
      'DROP TABLE IF EXISTS inbox',
      'DROP TABLE IF EXISTS accounts',
    ],
  },
  {
    version: 2,
    name: 'customer session mode, recalls, delivery failures',
    sqlite: `
CREATE TABLE customers (
  open_kfid        TEXT NOT NULL,
  external_userid  TEXT NOT NULL,
  mode             TEXT NOT NULL DEFAULT 'ai',
  mode_since       INTEGER NOT NULL DEFAULT 0,
  fallback_sent_at INTEGER NOT NULL DEFAULT 0,
  quiet_notice_at  INTEGER NOT NULL DEFAULT 0,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (open_kfid, external_userid)
);
ALTER TABLE sent_log ADD COLUMN inbound_msgid TEXT;
CREATE INDEX sent_log_inbound ON sent_log (inbound_msgid);
`,
    mysql: [
      `CREATE TABLE customers (
  open_kfid        VARCHAR(64) NOT NULL,
  external_userid  VARCHAR(64) NOT NULL,
  mode             VARCHAR(8) NOT NULL DEFAULT 'ai',
  mode_since       BIGINT NOT NULL DEFAULT 0,
  fallback_sent_at BIGINT NOT NULL DEFAULT 0,
  quiet_notice_at  BIGINT NOT NULL DEFAULT 0,
  updated_at       BIGINT NOT NULL,
  PRIMARY KEY (open_kfid, external_userid)
) ${MYSQL_TABLE}`,
      'ALTER TABLE sent_log ADD COLUMN inbound_msgid VARCHAR(128) NULL, ADD KEY sent_log_inbound (inbound_msgid)',
    ],
    mysqlDown: [
      'ALTER TABLE sent_log DROP KEY sent_log_inbound, DROP COLUMN inbound_msgid',
      'DROP TABLE IF EXISTS customers',
    ],
  },
  {
    version: 3,
    name: 'API identities scoped to their key: the unscoped ones wait to be adopted',
    // Before, `user:<value>` and Open-WebUI header ids were one identity whatever key sent them.
    // They are now `<scope>/…` (src/openai/identity.ts); the store cannot know which key made the
    // old ones, so they are set aside here and the first key (or tenant) that sends the same
    // identity after the upgrade adopts it with its internal user (store.resolveUser's legacyId).
    // `key:` identities were per key already, and `task:background` is shared on purpose: they stay.
    sqlite: `
CREATE TABLE legacy_web_identities (
  external_id TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
INSERT INTO legacy_web_identities (external_id, user_id, created_at)
  SELECT external_id, user_id, created_at FROM identities
  WHERE channel = 'web' AND substr(external_id, 1, 4) <> 'key:' AND external_id <> 'task:background';
DELETE FROM identities WHERE channel = 'web' AND substr(external_id, 1, 4) <> 'key:' AND external_id <> 'task:background';
`,
    mysql: [
      `CREATE TABLE legacy_web_identities (
  external_id VARCHAR(191) NOT NULL PRIMARY KEY,
  user_id     VARCHAR(64) NOT NULL,
  created_at  BIGINT NOT NULL
) ${MYSQL_TABLE}`,
      `INSERT INTO legacy_web_identities (external_id, user_id, created_at)
  SELECT external_id, user_id, created_at FROM identities
  WHERE channel = 'web' AND LEFT(external_id, 4) <> 'key:' AND external_id <> 'task:background'`,
      "DELETE FROM identities WHERE channel = 'web' AND LEFT(external_id, 4) <> 'key:' AND external_id <> 'task:background'",
    ],
    mysqlDown: [
      "INSERT IGNORE INTO identities (channel, external_id, user_id, created_at) SELECT 'web', external_id, user_id, created_at FROM legacy_web_identities",
      'DELETE FROM legacy_web_identities',
      'DROP TABLE IF EXISTS legacy_web_identities',
    ],
  },
  {
    version: 4,
    name: 'inbox: an explicit flag for "the stored answer is the apology"',
    // Before, the apology was recognised by a note starting with 'failed:' (read in another file).
    // Such a note on a row with a stored answer meant exactly that; a 'failed:' note on a row
    // without one was a failure with nothing sent to this message, so it stays 0.
    up: (qb) => [
      qb.schema
        .alterTable('inbox')
        .addColumn('apologized', 'integer', (c) => c.notNull().defaultTo(0))
        .compile(),
      qb
        .updateTable('inbox')
        .set({ apologized: 1 })
        .where('note', 'like', 'failed:%')
        .where('parts', 'is not', null)
        .compile(),
    ],
    down: (qb) => [qb.schema.alterTable('inbox').dropColumn('apologized').compile(), null],
  },
  {
    version: 5,
    name: 'heartbeats: a lease whose owner stopped beating is taken over in seconds',
    // One row per running process (its lease owner). Leases of an owner without a row (a version
    // before this one, during a rolling upgrade) still wait for lease_until, as before.
    up: (qb, dialect) => [
      qb.schema
        .createTable('heartbeats')
        .addColumn('owner', 'varchar(128)', (c) => c.notNull().primaryKey())
        .addColumn('instance_id', 'varchar(191)', (c) => c.notNull())
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('beat_at', 'bigint', (c) => c.notNull())
        .addColumn('gone', 'integer', (c) => c.notNull().defaultTo(0))
        // Same collation as inbox.lease_owner, which it is compared with.
        .$call((b) => (dialect === 'mysql' ? b.modifyEnd(sql.raw(MYSQL_TABLE)) : b))
        .compile(),
      qb.schema.createIndex('heartbeats_instance').on('heartbeats').column('instance_id').compile(),
    ],
    down: (qb) => [qb.schema.dropTable('heartbeats').ifExists().compile(), null],
  },
  {
    version: 6,
    name: 'console access: operators, sessions, audit log, login throttling',
    // The operator console (src/console/). Everything lives in the store so any instance behind the
    // proxy answers any request: sessions are keyed by the SHA-256 of the cookie's value (a leaked
    // table opens no session), throttling counters are shared by all instances.
    up: (qb, dialect) => {
      const mysqlTable = <T extends { modifyEnd(s: ReturnType<typeof sql.raw>): T }>(b: T): T =>
        dialect === 'mysql' ? b.modifyEnd(sql.raw(MYSQL_TABLE)) : b;
      return [
        qb.schema
          .createTable('operators')
          .addColumn('name', 'varchar(64)', (c) => c.notNull().primaryKey())
          .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .$call(mysqlTable)
          .compile(),
        qb.schema
          .createTable('console_sessions')
          .addColumn('id_hash', 'varchar(64)', (c) => c.notNull().primaryKey())
          .addColumn('operator', 'varchar(64)', (c) => c.notNull())
          .addColumn('csrf', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .$call(mysqlTable)
          .compile(),
        qb.schema
          .createIndex('console_sessions_operator')
          .on('console_sessions')
          .column('operator')
          .compile(),
        qb.schema
          .createTable('audit_log')
          .addColumn('id', dialect === 'mysql' ? 'bigint' : 'integer', (c) =>
            dialect === 'mysql' ? c.notNull().primaryKey().autoIncrement() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('operator', 'varchar(64)', (c) => c.notNull())
          .addColumn('action', 'varchar(64)', (c) => c.notNull())
          .addColumn('open_kfid', 'varchar(64)')
          .addColumn('external_userid', 'varchar(64)')
          .addColumn('detail', 'text')
          .$call(mysqlTable)
          .compile(),
        qb.schema.createIndex('audit_log_at').on('audit_log').column('at').compile(),
        qb.schema
          .createTable('login_throttle')
          .addColumn('key', 'varchar(191)', (c) => c.notNull().primaryKey())
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addColumn('window_start', 'bigint', (c) => c.notNull())
          .$call(mysqlTable)
          .compile(),
      ];
    },
    down: (qb) => [
      qb.schema.dropTable('operators').ifExists().compile(),
      qb.schema.dropTable('console_sessions').ifExists().compile(),
      null,
      qb.schema.dropTable('audit_log').ifExists().compile(),
      null,
      qb.schema.dropTable('login_throttle').ifExists().compile(),
    ],
  },
  {
    version: 7,
    name: 'console conversations: customer profiles, latest activity, indexes for the live updates',
    // `last_seq` is the customer's newest inbox row (kept by commitPage, noteActivity in
    // sql/console-conversations.ts), so the console's list is an index walk on customers instead of
    // a GROUP BY over the whole inbox. The backfill gives every customer already in the inbox a row.
    // `profile_at` is when customer/batchget was last asked about the customer (0: never).
    up: (qb, dialect) => [
      qb.schema.alterTable('customers').addColumn('nickname', 'varchar(255)').compile(),
      qb.schema.alterTable('customers').addColumn('avatar', 'varchar(1024)').compile(),
      qb.schema
        .alterTable('customers')
        .addColumn('profile_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .compile(),
      qb.schema
        .alterTable('customers')
        .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .compile(),
      qb.schema.createIndex('customers_last').on('customers').column('last_seq').compile(),
      qb.schema.createIndex('customers_kf_last').on('customers').columns(['open_kfid', 'last_seq']).compile(),
      qb.schema.createIndex('customers_updated').on('customers').column('updated_at').compile(),
      qb.schema.createIndex('inbox_updated').on('inbox').column('updated_at').compile(),
      backfillActivity(qb, dialect),
    ],
    down: (qb) => [
      qb.schema.alterTable('customers').dropColumn('nickname').compile(),
      qb.schema.alterTable('customers').dropColumn('avatar').compile(),
      qb.schema.alterTable('customers').dropColumn('profile_at').compile(),
      qb.schema.alterTable('customers').dropColumn('last_seq').compile(),
      qb.schema.dropIndex('customers_last').on('customers').compile(),
      qb.schema.dropIndex('customers_kf_last').on('customers').compile(),
      qb.schema.dropIndex('customers_updated').on('customers').compile(),
      qb.schema.dropIndex('inbox_updated').on('inbox').compile(),
      null,
    ],
  },
  {
    version: 8,
    name: 'operator console: retry rounds, dismissed failures, the waiting queue',
    // reply_round: an operator's Retry after the apology asks Coze anew; the new answer's part
    // msgids derive from (msgid, round), so WeCom does not refuse them as the apology's duplicates.
    // dismissed_at: a failed message an operator has seen to (the console lists the others).
    // customers (mode, mode_since): the console's queue of customers handed over, oldest first.
    up: (qb) => [
      qb.schema
        .alterTable('inbox')
        .addColumn('reply_round', 'integer', (c) => c.notNull().defaultTo(0))
        .compile(),
      qb.schema.alterTable('inbox').addColumn('dismissed_at', 'bigint').compile(),
      qb.schema.createIndex('inbox_failed').on('inbox').columns(['state', 'dismissed_at', 'seq']).compile(),
      qb.schema.createIndex('customers_mode').on('customers').columns(['mode', 'mode_since']).compile(),
    ],
    down: (qb) => [
      qb.schema.alterTable('inbox').dropColumn('reply_round').compile(),
      qb.schema.alterTable('inbox').dropColumn('dismissed_at').compile(),
      qb.schema.dropIndex('inbox_failed').on('inbox').compile(),
      qb.schema.dropIndex('customers_mode').on('customers').compile(),
    ],
  },
  {
    version: 9,
    name: 'console settings (they win over the config file), and the charts index on inbox.created_at',
    // Settings changed in the console are read by every instance's pipeline (src/pipeline/live-settings.ts).
    // The charts group customer messages by when they arrived and read how each ended, whether it
    // was a handoff and how long the answer took: the index holds all of it, so at 100k messages
    // they never touch a row's payload. `is_handoff` is a VIRTUAL generated column (SQLite ≥ 3.31,
    // MariaDB ≥ 10.2, MySQL ≥ 5.7): nothing writes it, adding it rewrites nothing.
    up: (qb, dialect) => [
      qb.schema
        .createTable('console_settings')
        .addColumn('scope', 'varchar(64)', (c) => c.notNull())
        .addColumn('key', 'varchar(64)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(128)')
        .addPrimaryKeyConstraint('console_settings_pk', ['scope', 'key'])
        .$call((b) => (dialect === 'mysql' ? b.modifyEnd(sql.raw(MYSQL_TABLE)) : b))
        .compile(),
      qb.schema
        .alterTable('inbox')
        .addColumn('is_handoff', 'integer', (c) =>
          c.generatedAlwaysAs(sql`CASE WHEN note LIKE 'handoff%' THEN 1 ELSE 0 END`),
        )
        .compile(),
      qb.schema
        .createIndex('inbox_created')
        .on('inbox')
        .columns(['created_at', 'origin', 'state', 'is_handoff', 'send_time', 'updated_at'])
        .compile(),
    ],
    down: (qb) => [
      qb.schema.dropTable('console_settings').ifExists().compile(),
      qb.schema.alterTable('inbox').dropColumn('is_handoff').compile(),
      qb.schema.dropIndex('inbox_created').on('inbox').compile(),
    ],
  },
  {
    version: 10,
    name: "what the pipeline learnt of a customer's media: a voice's transcript, a file's name",
    // Shown in the console's thread under the voice or the file. Nullable, written once by the
    // pipeline after it fetched the media (noteMedia); rows from before, or never fetched, stay NULL.
    up: (qb) => [
      qb.schema.alterTable('inbox').addColumn('transcript', 'text').compile(),
      qb.schema.alterTable('inbox').addColumn('media_filename', 'varchar(255)').compile(),
    ],
    down: (qb) => [
      qb.schema.alterTable('inbox').dropColumn('transcript').compile(),
      qb.schema.alterTable('inbox').dropColumn('media_filename').compile(),
    ],
  },
  {
    version: 11,
    name: "alerts: each condition's state and what the channel was told, shared by all instances",
    // src/ops/alerts/: every instance evaluates the conditions; a change of state and each send are
    // claimed with a conditional UPDATE on this table, so several instances send one alert.
    up: (qb, dialect) => [
      qb.schema
        .createTable('alert_states')
        .addColumn('alert', 'varchar(64)', (c) => c.notNull().primaryKey())
        .addColumn('state', 'varchar(16)', (c) => c.notNull().defaultTo('ok'))
        .addColumn('since', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('clear_since', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('detail', 'text')
        .addColumn('sent', 'varchar(16)', (c) => c.notNull().defaultTo('resolved'))
        .addColumn('sent_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('send_owner', 'varchar(128)')
        .addColumn('send_until', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('send_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_send_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .$call((b) => (dialect === 'mysql' ? b.modifyEnd(sql.raw(MYSQL_TABLE)) : b))
        .compile(),
    ],
    down: (qb) => [qb.schema.dropTable('alert_states').ifExists().compile()],
  },
  {
    version: 12,
    name: 'which Coze credential made each conversation',
    // A Coze conversation belongs to whoever made it (docs/protocol.md §coze-oauth-conversations):
    // 'token' (COZE_API_TOKEN; every row before this version) or 'oauth:<app id>'. When wxcoze switches
    // between them, a conversation the new credential cannot reach is replaced quietly.
    up: (qb) => [qb.schema.alterTable('conversations').addColumn('coze_auth', 'varchar(191)').compile()],
    down: (qb) => [qb.schema.alterTable('conversations').dropColumn('coze_auth').compile()],
  },
  {
    version: 13,
    name: 'maintenance: the last run of each daily job (backup, retention) and of a restore',
    // src/ops/maintenance/: every instance looks; the one whose conditional UPDATE claims the day runs it.
    up: (qb, dialect) => [
      qb.schema
        .createTable('maintenance')
        .addColumn('job', 'varchar(64)', (c) => c.notNull().primaryKey())
        .addColumn('last_day', 'varchar(16)')
        .addColumn('last_run_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_result', 'text')
        .addColumn('owner', 'varchar(128)')
        .addColumn('until', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .$call((b) => (dialect === 'mysql' ? b.modifyEnd(sql.raw(MYSQL_TABLE)) : b))
        .compile(),
    ],
    down: (qb) => [qb.schema.dropTable('maintenance').ifExists().compile()],
  },
  {
    version: 14,
    name: 'satisfaction surveys: one row per survey sent, and the rating the customer chose',
    // src/pipeline/survey.ts. A row is the claim to send a survey for one conversation, keyed by
    // (account, customer, the newest inbox row it covers): of two instances inserting the same
    // key one wins, so one survey goes out. The customer's click fills `rating`.
    up: (qb, dialect) => [
      qb.schema
        .createTable('surveys')
        .addColumn('id', dialect === 'mysql' ? 'bigint' : 'integer', (c) =>
          dialect === 'mysql' ? c.notNull().primaryKey().autoIncrement() : c.primaryKey().autoIncrement(),
        )
        .addColumn('open_kfid', 'varchar(64)', (c) => c.notNull())
        .addColumn('external_userid', 'varchar(128)', (c) => c.notNull())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('via', 'varchar(16)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('owner', 'varchar(128)')
        .addColumn('claim_until', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('out_msgid', 'varchar(64)')
        .addColumn('note', 'varchar(255)')
        .addColumn('rating', 'integer')
        .addColumn('rating_label', 'varchar(255)')
        .addColumn('rated_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('surveys_conversation', ['open_kfid', 'external_userid', 'last_seq'])
        .$call((b) => (dialect === 'mysql' ? b.modifyEnd(sql.raw(MYSQL_TABLE)) : b))
        .compile(),
      qb.schema.createIndex('surveys_rated').on('surveys').columns(['rated_at']).compile(),
      qb.schema.createIndex('surveys_state').on('surveys').columns(['state', 'claim_until']).compile(),
    ],
    down: (qb) => [qb.schema.dropTable('surveys').ifExists().compile(), null, null],
  },
  {
    version: 15,
    name: 'customers found by external_userid alone (profile lookups)',
    // Nicknames belong to the WeChat user, not to one kf account: missingProfiles and saveProfiles
    // select by external_userid across accounts. The primary key starts with open_kfid, so without
    // this index both read the whole table, and on MySQL the UPDATE locked every row it read,
    // holding up the puller's customer writes (10,000 customers: 9,741 rows examined per batch).
    up: (qb) => [
      qb.schema.createIndex('customers_external').on('customers').column('external_userid').compile(),
    ],
    down: (qb) => [qb.schema.dropIndex('customers_external').on('customers').compile()],
  },
];

/** Migration 7's backfill: every customer of the inbox gets a customers row with its newest seq. */
function backfillActivity(qb: Kysely<DB>, dialect: Dialect): CompiledQuery {
  return activityUpsert(
    qb,
    dialect,
    qb.selectFrom('inbox').where('external_userid', '<>', ''),
    Date.now(),
  ).compile();
}
