/**
 * At most `running` tasks at once and at most `waiting` more in line for a turn; beyond that a task
 * is refused at once (`run` answers undefined without running it), so a flood costs nothing but
 * the refusal. Used for the console's password checks and its downloads of customers' media.
 */
export class Gate {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly running: number,
    private readonly waiting: number,
  ) {}

  /** Runs `task` in a free slot; undefined (task not run) when the gate is full. */
  async run<T>(task: () => Promise<T>): Promise<T | undefined> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.waiting) return undefined;
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.active++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next in line (active stays counted), else it is freed.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
