/**
 * Injected failures for send_msg and sync_msg, consumed one per request. They model what the bridge must
 * survive: 5xx, errcode -1, a hung request (client timeout), and "accepted, but the answer was lost".
 */
/** `rate-limited`: errcode 45009 at once (API frequency limit), which clients must not retry blindly. */
export type FaultMode = 'http500' | 'busy' | 'timeout' | 'accept-then-500' | 'rate-limited';
export type FaultTarget = 'send' | 'sync';

export class Faults {
  private readonly queues: Record<FaultTarget, FaultMode[]> = { send: [], sync: [] };
  private readonly hanging = new Set<() => void>();

  constructor(private readonly hangMs: number) {}

  /** Queues n failures; n = 0 clears what is still queued (the outage is over). */
  add(target: FaultTarget, n: number, mode: FaultMode): void {
    if (n === 0) this.queues[target].length = 0;
    for (let i = 0; i < n; i++) this.queues[target].push(mode);
  }

  take(target: FaultTarget): FaultMode | undefined {
    return this.queues[target].shift();
  }

  /** Holds a request open well past any sane client timeout; released early by close(). */
  hang(): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.hanging.delete(release);
        resolve();
      };
      const timer = setTimeout(release, this.hangMs);
      this.hanging.add(release);
    });
  }

  releaseAll(): void {
    for (const release of [...this.hanging]) release();
  }
}
