/**
 * What the console's health page shows: per kf account, when WeCom last called back, when it was
 * last pulled and how that went, how long since a message arrived; whether WeCom gives a token
 * and Coze answers (each checked at most once a minute); the waiting messages by state, and the
 * last 24 hours' by state (both index reads, never the whole inbox); the store and cache; the last
 * backup; the version, uptime and the instances seen. Every WeCom error is explained from the one
 * errcode table (src/wecom/errors.ts), 60020 with the egress IP to add to 企业可信IP.
 */
import { basename } from 'node:path';
import type { WxcozeConfig } from '../config/types.js';
import { lastBackup } from './maintenance/sqlite-backup.js';
import type { SeenInstance } from '../store/console-types.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';
import { describeErrcode, describeErrcodeZh, egressIpOf, WecomApiError } from '../wecom/errors.js';

/** A WeCom error as an owner reads it. */
export interface ExplainedError {
  /** The error as recorded (for the curious; no secret is ever in it). */
  text: string;
  errcode?: number;
  meaning?: string;
  meaningZh?: string;
  /** 60020: the address WeCom saw, to add to 企业可信IP. */
  egressIp?: string;
}

export interface Probe {
  ok: boolean;
  checkedAt: number;
  error?: ExplainedError;
  /** The access token's end (ms), when WeCom gave one. Never the token. */
  validUntil?: number;
}

export interface AccountHealth {
  openKfId: string;
  name?: string;
  /** When WeCom last called back for this account (any instance, via the shared cache), ms. */
  lastCallbackAt: number | null;
  lastPullAt: number | null;
  /** The last pull's error; null when it went through. */
  lastError: ExplainedError | null;
  /** When its newest message was recorded: how long the cursor has not moved with messages. */
  lastMessageAt: number | null;
}

/** The daily backup as an owner needs to see it: when the last one was taken, and whether one is due. */
export interface BackupHealth {
  /** 'sqlite': wxcoze backs up its own file; 'mysql': the database's own backups (wxcoze takes none). */
  kind: 'sqlite' | 'mysql';
  /** The daily backup is on (WXCOZE_BACKUP_KEEP > 0); it runs from `hour` (WXCOZE_BACKUP_HOUR, local). */
  daily: boolean;
  hour: number;
  /** The last backup, daily or `wxcoze backup` (ms); null: none recorded. */
  lastAt: number | null;
  /** What it wrote (a file name); never customer data. */
  last: string | null;
}

export interface HealthReport {
  now: number;
  version: string;
  startedAt: number;
  uptimeMs: number;
  instanceId: string;
  store: { kind: string; ok: boolean; error?: string };
  cache: { kind: string; ok: boolean; error?: string };
  wecom: Probe;
  coze: Probe;
  /** Every waiting message by state (received, answered, sending), however old. */
  backlog: Record<string, number>;
  /** The messages received in the last 24 hours, by the state they are in now. */
  last24h: Record<string, number>;
  backup: BackupHealth;
  accounts: AccountHealth[];
  instances: (SeenInstance & { alive: boolean })[];
}

export interface HealthDeps {
  store: Store;
  coordinator: Coordinator;
  config: WxcozeConfig;
  /** The main thread's WeCom client: a token proves the secret, corp id and trusted IP are right. */
  wecom: { getAccessToken(): Promise<string>; tokenValidUntil?(): number | undefined };
  coze: { getMe(): Promise<unknown> };
  version: string;
  startedAt: number;
  instanceId: () => string;
  now?: () => number;
}

const PROBE_EVERY_MS = 60_000;
const CALLBACK_NOTE_EVERY_MS = 10_000;
const CALLBACK_KEY = 'health:last-callback:';
const CALLBACK_TTL_MS = 30 * 24 * 3600_000;

/** An error as recorded (accounts.last_error, a thrown error) → what it means for an owner. */
export function explainWecomError(err: unknown): ExplainedError {
  const text = err instanceof Error ? err.message : String(err);
  const errcode =
    err instanceof WecomApiError ? err.errcode : Number(/errcode (-?\d+)/.exec(text)?.[1] ?? NaN);
  if (!Number.isFinite(errcode)) return { text };
  const ip =
    egressIpOf(err instanceof WecomApiError ? err.errmsg : text) ??
    /from IP ([0-9a-fA-F.:]+)/.exec(text)?.[1];
  const zh = describeErrcodeZh(errcode);
  return {
    text,
    errcode,
    meaning: describeErrcode(errcode),
    ...(zh ? { meaningZh: zh } : {}),
    ...(errcode === 60020 && ip ? { egressIp: ip } : {}),
  };
}

export class Health {
  private readonly lastCallback = new Map<string, number>();
  private readonly noted = new Map<string, number>();
  private wecomProbe: Promise<Probe> | undefined;
  private cozeProbe: Promise<Probe> | undefined;
  private readonly now: () => number;

  constructor(private readonly d: HealthDeps) {
    this.now = d.now ?? Date.now;
  }

  /**
   * A callback for this account was accepted. Called on the callback's path: a Map write; the
   * shared cache (so every instance's page knows) is written at most every 10 s per account, not awaited.
   */
  noteCallback(openKfId: string): void {
    const now = this.now();
    this.lastCallback.set(openKfId, now);
    if (now - (this.noted.get(openKfId) ?? 0) < CALLBACK_NOTE_EVERY_MS) return;
    this.noted.set(openKfId, now);
    this.d.coordinator.cache.set(`${CALLBACK_KEY}${openKfId}`, now, CALLBACK_TTL_MS).catch(() => {
      // The cache is down: this instance's own memory still answers; the health page says so.
    });
  }

  private async lastCallbackAt(openKfId: string): Promise<number | null> {
    const mine = this.lastCallback.get(openKfId) ?? null;
    const shared = await this.d.coordinator.cache
      .get(`${CALLBACK_KEY}${openKfId}`)
      .then((v) => (typeof v === 'number' ? v : null))
      .catch(() => null);
    return mine === null ? shared : shared === null ? mine : Math.max(mine, shared);
  }

  /** At most one probe a minute (a bad secret tried too often gets the IP banned for an hour). */
  private probe(slot: 'wecomProbe' | 'cozeProbe', run: () => Promise<Partial<Probe>>): Promise<Probe> {
    const last = this[slot];
    if (last) return last;
    const p = (async (): Promise<Probe> => {
      const checkedAt = this.now();
      try {
        return { ok: true, checkedAt, ...(await run()) };
      } catch (err) {
        return { ok: false, checkedAt, error: explainWecomError(err) };
      }
    })();
    this[slot] = p;
    setTimeout(() => {
      if (this[slot] === p) this[slot] = undefined;
    }, PROBE_EVERY_MS).unref();
    return p;
  }

  async report(): Promise<HealthReport> {
    const now = this.now();
    const { store, coordinator, config } = this.d;
    const wecom = this.probe('wecomProbe', async () => {
      await this.d.wecom.getAccessToken();
      const until = this.d.wecom.tokenValidUntil?.();
      return until ? { validUntil: until } : {};
    });
    const coze = this.probe('cozeProbe', async () => {
      await this.d.coze.getMe();
      return {};
    });
    const cache = coordinator
      .ping()
      .then(() => ({ kind: coordinator.kind, ok: true }))
      .catch((err: Error) => ({ kind: coordinator.kind, ok: false, error: err.message }));
    let storeState: HealthReport['store'] = { kind: store.kind, ok: true };
    const safe = <T>(p: Promise<T>, fallback: T): Promise<T> =>
      p.catch((err: Error) => {
        storeState = { kind: store.kind, ok: false, error: err.message };
        return fallback;
      });
    const [accounts, backlog, last24h, instances, lastRecord] = await Promise.all([
      safe(store.listAccounts(), []),
      safe(store.countWaiting(), {}),
      safe<Record<string, number>>(store.countSince(now - 24 * 3600_000), {}),
      safe(store.stats.instances(now - 24 * 3600_000), []),
      store.kind === 'sqlite' ? safe(store.maintenance.last('backup'), undefined) : undefined,
    ]);
    const { backupKeep, backupHour, backupDir } = config.maintenance;
    let backup: BackupHealth = { kind: 'mysql', daily: false, hour: backupHour, lastAt: null, last: null };
    if (store.kind === 'sqlite') {
      const recorded = lastRecord?.lastRunAt
        ? { at: lastRecord.lastRunAt, what: lastRecord.lastResult ?? null }
        : undefined;
      let last = recorded && { ...recorded, file: false };
      try {
        last = lastBackup(backupDir, recorded);
      } catch {
        // An unreadable folder: the record alone (doctor names the folder's problem).
      }
      backup = {
        kind: 'sqlite',
        daily: backupKeep > 0,
        hour: backupHour,
        lastAt: last?.at ?? null,
        last: last?.file ? basename(last.what!) : (last?.what ?? null),
      };
    }
    const ids = [
      ...new Set([
        ...(config.wecom.openKfId ? [config.wecom.openKfId] : []),
        ...Object.keys(config.service.accounts),
        ...accounts.map((a) => a.openKfId),
      ]),
    ];
    const lastMessage = await safe(store.stats.lastMessageAt(ids), {});
    const byId = new Map(accounts.map((a) => [a.openKfId, a]));
    const accountHealth = await Promise.all(
      ids.map(async (id): Promise<AccountHealth> => {
        const a = byId.get(id);
        const name = config.service.accounts[id]?.name;
        return {
          openKfId: id,
          ...(name ? { name } : {}),
          lastCallbackAt: await this.lastCallbackAt(id),
          lastPullAt: a?.lastPullAt ?? null,
          lastError: a?.lastError ? explainWecomError(a.lastError) : null,
          lastMessageAt: lastMessage[id] ?? null,
        };
      }),
    );
    const staleMs = config.pipeline.takeoverMs;
    return {
      now,
      version: this.d.version,
      startedAt: this.d.startedAt,
      uptimeMs: now - this.d.startedAt,
      instanceId: this.d.instanceId(),
      store: storeState,
      cache: await cache,
      wecom: await wecom,
      coze: await coze,
      backlog,
      last24h,
      backup,
      accounts: accountHealth,
      instances: instances.map((i) => ({ ...i, alive: !i.gone && now - i.beatAt < staleMs })),
    };
  }
}
