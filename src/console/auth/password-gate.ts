/**
 * A password check is scrypt: ~32 MiB and 50–100 ms of a libuv thread each (src/console/auth/password.ts).
 * Concurrent logins pass the per-address throttle together (it counts failures only once they are
 * known), so a flood of them would take the server's memory and the thread pool that file and DNS
 * work share. At most `running` checks run at once and at most `waiting` more wait for a turn;
 * beyond that a login is refused at once as busy (the page asks to try again in a moment).
 */
export class PasswordGate {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly running = 2,
    private readonly waiting = 16,
  ) {}

  /** Runs `check` in a free slot; undefined (check not run) when the gate is full. */
  async run<T>(check: () => Promise<T>): Promise<T | undefined> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.waiting) return undefined;
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.active++;
    try {
      return await check();
    } finally {
      // The slot passes straight to the next in line (active stays counted), else it is freed.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
