import { hostname } from 'node:os';
import type { Logger } from '../log/logger.js';
import type { InstanceRun, Store } from '../store/types.js';

export interface HeartbeatOptions {
  store: Store;
  /** This run's lease owner. */
  owner: string;
  /** The identity that survives restarts (WXCOZE_INSTANCE_ID, by default host:port). */
  instanceId: string;
  /** A run silent for longer than this is taken over (WXCOZE_TAKEOVER_MS). */
  takeoverMs: number;
  logger: Logger;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** Thrown when another live process runs under the same instance id. */
export class InstanceIdInUseError extends Error {}

/** Whether a process with this pid runs on this host (EPERM: it does, under another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * This process's heartbeat in the shared store, which is what lets other instances (and the next
 * run of this one) take over its leases in seconds rather than after WXCOZE_LEASE_MS: one UPDATE
 * every third of the takeover time; on a graceful stop the row is marked gone.
 *
 * `begin` also settles who this instance is. An earlier run under the same instance id is this
 * instance's previous life: it is declared gone, so its unfinished messages are claimable at once.
 * But two live processes must never share an id (each would free the other's work): a run under
 * the id with a fresh heartbeat is a predecessor only if it is provably dead (same host, its pid
 * gone or ours, as in a container restarted with pid 1); otherwise `begin` waits one takeover time,
 * and if that run beat meanwhile it is alive: starting is refused (InstanceIdInUseError).
 */
export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private replaced = false;

  constructor(private readonly o: HeartbeatOptions) {}

  get intervalMs(): number {
    return Math.max(100, Math.floor(this.o.takeoverMs / 3));
  }

  async begin(): Promise<void> {
    const { store, instanceId, takeoverMs } = this.o;
    const host = hostname();
    const fresh = (r: InstanceRun) => r.owner !== this.o.owner && r.beatAt > Date.now() - takeoverMs;
    const rivals = (await store.instanceRuns(instanceId)).filter(fresh);
    const unsure = rivals.filter((r) => !(r.host === host && (r.pid === process.pid || !pidAlive(r.pid))));
    if (unsure.length) {
      const wait = Math.max(...unsure.map((r) => r.beatAt + takeoverMs - Date.now())) + 100;
      this.o.logger.warn(
        { instanceId, waitMs: wait, host: unsure[0]!.host, pid: unsure[0]!.pid },
        'another run of this instance id beat recently; waiting to see whether it is alive',
      );
      await (this.o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(Math.max(0, wait));
      const now = new Map((await store.instanceRuns(instanceId)).map((r) => [r.owner, r]));
      const alive = unsure.find((r) => (now.get(r.owner)?.beatAt ?? 0) > r.beatAt);
      if (alive)
        throw new InstanceIdInUseError(
          `another wxcoze process is running as instance "${instanceId}" (host ${alive.host}, pid ${alive.pid}): ` +
            'two processes with one instance id would take each other’s messages. Give each instance its own ' +
            'WXCOZE_INSTANCE_ID (or its own PORT), or stop the other one; `wxcoze doctor` shows the settings.',
        );
    }
    const now = Date.now();
    await store.beginRun({
      owner: this.o.owner,
      instanceId,
      host,
      pid: process.pid,
      startedAt: now,
      beatAt: now,
    });
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = undefined));
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private async beat(): Promise<void> {
    try {
      if (await this.o.store.heartbeat(this.o.owner, Date.now())) return;
      // Our row was declared gone: a process started under our instance id (a misconfiguration the
      // check in `begin` could not see, e.g. we were frozen for longer than the takeover time). Our
      // leases are anyone's now; our lease checks keep us from writing over the taker's work.
      if (!this.replaced)
        this.o.logger.error(
          { instanceId: this.o.instanceId },
          'another process started under this instance id and replaced this one; give each instance its own WXCOZE_INSTANCE_ID and restart this one',
        );
      this.replaced = true;
    } catch (err) {
      this.o.logger.warn(
        { err: { message: (err as Error).message } },
        'heartbeat not written; other instances take this one’s messages over if it stays silent',
      );
    }
  }

  /** Graceful stop, after the dispatcher has given its leases back. */
  async end(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.o.store.endRun(this.o.owner);
  }
}
