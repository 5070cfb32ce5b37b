/** Schema versions of the embedded store, applied in order inside one transaction each. */
export const SQLITE_MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'inbox, accounts, identity',
    sql: `
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
  },
];
