/**
 * Whether this instance can do its work now (/readyz): the store and the cache/coordinator answer a
 * trivial request within a short timeout, and the server is not draining. A load balancer, Docker's
 * health check or `wxcoze status --wait-ready` asks it; the answer names what failed in words an
 * owner can act on. It depends on two pings, not on SQL or Redis commands.
 *
 * A probe never hangs (each dependency gets `timeoutMs`) and cannot be used to load the database:
 * one answer serves every request for `cacheMs`, and a dependency whose previous ping is still
 * pending is not pinged again (it is reported as not answering).
 */

export interface ReadinessPorts {
  store: { readonly kind: string; ping(): Promise<void> };
  cache: { readonly kind: string; ping(): Promise<void> };
  /** Why this instance is not taking work (stopping, its pipeline stopped), or undefined while it serves. */
  notServing(): string | undefined;
}

export interface DependencyCheck {
  ok: boolean;
  kind: string;
  /** What failed and what to do (no addresses or credentials: the body may reach a load balancer). */
  problem?: string;
  /** The driver's own message; only for requests from this machine or with the metrics token. */
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  store: DependencyCheck;
  cache: DependencyCheck;
  serving: { ok: boolean; problem?: string };
  /** The problems in one list, for a person reading the body. */
  problems: string[];
  checkedAt: number;
}

const DOCTOR = 'run `wxcoze doctor` on the server for details';

function storeProblem(kind: string, timedOut: boolean, timeoutMs: number): string {
  const what =
    kind === 'sqlite'
      ? 'the SQLite database (wxcoze.db in the data directory)'
      : 'the database (WXCOZE_DATABASE_URL)';
  const how = timedOut ? `did not answer within ${timeoutMs} ms` : 'refused the request';
  const fix =
    kind === 'sqlite'
      ? 'check the data directory (disk full? permissions?)'
      : 'check that MySQL/MariaDB is running and reachable and that WXCOZE_DATABASE_URL is right';
  return `${what} ${how}: ${fix}; ${DOCTOR}`;
}

function cacheProblem(kind: string, timedOut: boolean, timeoutMs: number): string {
  const how = timedOut ? `did not answer within ${timeoutMs} ms` : 'refused the request';
  const what = kind === 'redis' ? 'Redis (WXCOZE_REDIS_URL)' : `the ${kind} cache`;
  const fix =
    kind === 'redis'
      ? 'check that Redis is running and reachable and that WXCOZE_REDIS_URL is right (pulls, locks and shared tokens need it)'
      : 'restart wxcoze';
  return `${what} ${how}: ${fix}; ${DOCTOR}`;
}

type PingResult = { ok: true } | { ok: false; timedOut: boolean; error: string };

/** One dependency's ping: bounded by a timeout, never two at once. */
class Pinger {
  private pending: Promise<PingResult> | undefined;

  constructor(private readonly ping: () => Promise<void>) {}

  run(timeoutMs: number): Promise<PingResult> {
    // The previous ping has not come back yet: do not pile another on a struggling server.
    if (this.pending) return this.bounded(this.pending, timeoutMs);
    const p = this.ping().then(
      (): PingResult => ({ ok: true }),
      (err: unknown): PingResult => ({
        ok: false,
        timedOut: false,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
    this.pending = p;
    p.finally(() => {
      if (this.pending === p) this.pending = undefined;
    }).catch(() => {}); // p never rejects (both outcomes are results)
    return this.bounded(p, timeoutMs);
  }

  private bounded(p: Promise<PingResult>, timeoutMs: number): Promise<PingResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<PingResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, timedOut: true, error: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }
}

export class Readiness {
  private readonly store: Pinger;
  private readonly cache: Pinger;
  private last: { at: number; report: Promise<ReadinessReport> } | undefined;
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly ports: ReadinessPorts,
    opts: { timeoutMs?: number; cacheMs?: number; now?: () => number } = {},
  ) {
    this.store = new Pinger(() => ports.store.ping());
    this.cache = new Pinger(() => ports.cache.ping());
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.cacheMs = opts.cacheMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** The latest answer, at most `cacheMs` old; concurrent callers share one check. */
  check(): Promise<ReadinessReport> {
    const now = this.now();
    // Draining is known at once and matters at once: it is never served from the cache.
    const last = this.last;
    if (last && now - last.at < this.cacheMs)
      return last.report.then((r) => this.withServing(r, this.ports.notServing()));
    const report = this.run(now);
    this.last = { at: now, report };
    return report;
  }

  private async run(now: number): Promise<ReadinessReport> {
    const { store, cache } = this.ports;
    const [s, c] = await Promise.all([this.store.run(this.timeoutMs), this.cache.run(this.timeoutMs)]);
    const storeCheck: DependencyCheck = s.ok
      ? { ok: true, kind: store.kind }
      : {
          ok: false,
          kind: store.kind,
          problem: storeProblem(store.kind, s.timedOut, this.timeoutMs),
          error: s.error,
        };
    const cacheCheck: DependencyCheck = c.ok
      ? { ok: true, kind: cache.kind }
      : {
          ok: false,
          kind: cache.kind,
          problem: cacheProblem(cache.kind, c.timedOut, this.timeoutMs),
          error: c.error,
        };
    return this.withServing(
      {
        ready: true,
        store: storeCheck,
        cache: cacheCheck,
        serving: { ok: true },
        problems: [],
        checkedAt: now,
      },
      this.ports.notServing(),
    );
  }

  private withServing(r: ReadinessReport, notServing: string | undefined): ReadinessReport {
    const serving = notServing ? { ok: false, problem: notServing } : { ok: true };
    const problems = [r.store.problem, r.cache.problem, serving.problem].filter(
      (p): p is string => p !== undefined,
    );
    return { ...r, serving, problems, ready: problems.length === 0 };
  }
}
