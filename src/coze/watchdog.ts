/**
 * An inactivity timer: fires when armed for `ms` without being disarmed. The stream loop arms
 * it only while waiting on the network, so a slow consumer of yielded events never counts as
 * Coze being silent.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor(
    private readonly ms: number,
    private readonly onFire: () => void,
  ) {}

  /** Start (or restart) the countdown; `ms` overrides the default for this arming only. */
  arm(ms = this.ms): void {
    this.disarm();
    if (ms <= 0 || this.fired) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fired = true;
      this.onFire();
    }, ms);
    // Never keep the process alive just for a watchdog.
    this.timer.unref();
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
