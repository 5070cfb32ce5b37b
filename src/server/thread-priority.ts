/**
 * The pipeline's thread yields the CPU to the thread that acknowledges WeCom. On a small VPS both
 * threads, the fakes or Coze's TLS, MySQL and Caddy compete for one or two cores; when a burst of
 * callbacks meets 1,000 answers being written, the kernel shares the CPU equally between the
 * runnable threads, and an ack waits for the pipeline's turn. Linux keeps a nice value per thread
 * (setpriority on a thread id), so the pipeline's thread alone can be made nicer: the kernel then
 * runs the HTTP thread first whenever both want the CPU, and the pipeline still gets every idle
 * cycle (a nice value is a weight, not a cap). Raising one's own nice value needs no privilege.
 *
 * By how much is WXCOZE_PIPELINE_NICENESS (off by default: in the bench's bursts 5, a CFS weight of
 * 335 against 1024, made no difference to the acks, since the kernel already runs a thread that
 * mostly sleeps first, and it lowered throughput when other processes shared the box).
 *
 * Node has no gettid(); /proc/thread-self names the calling thread (a sync fs call runs on the
 * thread that makes it). Elsewhere than Linux this does nothing.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export interface NicedThread {
  tid: number;
  nice: number;
}

/** Makes the calling thread `by` nicer than it is; what it did, or why not. */
export function niceThisThread(by: number): NicedThread | { skipped: string } {
  if (process.platform !== 'linux')
    return { skipped: `per-thread priority needs Linux (${process.platform})` };
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch (err) {
    return { skipped: `/proc/thread-self unreadable (${(err as Error).message})` };
  }
  if (!Number.isInteger(tid) || tid <= 0) return { skipped: 'no thread id in /proc/thread-self' };
  try {
    const nice = Math.min(19, getPriority(tid) + by);
    setPriority(tid, nice);
    return { tid, nice: getPriority(tid) };
  } catch (err) {
    return { skipped: (err as Error).message };
  }
}
