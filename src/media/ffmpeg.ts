/**
 * The system's ffmpeg, for voice messages: WeCom delivers AMR, Coze transcribes only ogg, mp3 and
 * wav; a spoken reply must go back to WeCom as AMR. ffmpeg is a system package (Debian's decodes
 * AMR-NB; encoding it needs `libavcodec-extra`, i.e. libopencore_amrnb), not an npm one.
 *
 * Each conversion is one `ffmpeg` process fed on stdin and read on stdout — never a shell, never a
 * temporary file — with its input and output capped, a deadline (killed on expiry) and at most a
 * few running at once, so a flood of voice messages cannot eat the machine.
 */
import { spawn } from 'node:child_process';
import { Gate } from '../util/gate.js';

/** What this machine's ffmpeg can do, found once. */
export type FfmpegAbility =
  | { available: true; version: string; amrIn: boolean; amrOut: boolean }
  | { available: false; reason: string };

export interface FfmpegOptions {
  /** The ffmpeg program (WXCOZE_FFMPEG): a name on PATH or an absolute path. */
  path: string;
  /** Largest input accepted, bytes. */
  maxInBytes?: number;
  /** Largest output accepted, bytes (more: the conversion fails). */
  maxOutBytes?: number;
  /** Longest one conversion may run, ms. */
  timeoutMs?: number;
  /** Conversions running at once; more wait for a slot (up to `waiting`). */
  running?: number;
  waiting?: number;
}

interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs ffmpeg once with `args`, `input` on stdin; rejects on spawn failure, caps and the deadline. */
function runFfmpeg(
  path: string,
  args: string[],
  input: Buffer | undefined,
  opts: { maxOutBytes: number; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    // Killed, and answered at once: a child it left holding the pipes must not keep us waiting.
    const stop = (e: Error) => {
      child.kill('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() => reject(e));
    };
    const timer = setTimeout(
      () => stop(new Error(`ffmpeg took longer than ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > opts.maxOutBytes) stop(new Error(`ffmpeg output is over ${opts.maxOutBytes} bytes`));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4000) err += chunk.toString('utf8');
    });
    child.on('error', (e) => settle(() => reject(e)));
    child.on('close', (code) =>
      settle(() => resolve({ code, stdout: Buffer.concat(out), stderr: err.trim() })),
    );
    // ffmpeg may close stdin early (it read enough, or failed): not our error, its exit says.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

export class Ffmpeg {
  private readonly gate: Gate;
  private readonly maxInBytes: number;
  private readonly maxOutBytes: number;
  private readonly timeoutMs: number;
  private ability?: Promise<FfmpegAbility>;

  constructor(private readonly opts: FfmpegOptions) {
    this.gate = new Gate(opts.running ?? 2, opts.waiting ?? 50);
    this.maxInBytes = opts.maxInBytes ?? 2 * 1024 * 1024;
    this.maxOutBytes = opts.maxOutBytes ?? 10 * 1024 * 1024;
    this.timeoutMs = opts.timeoutMs ?? 20_000;
  }

  /** Whether ffmpeg runs here, its version, and whether it decodes / encodes AMR-NB. Asked once. */
  probe(): Promise<FfmpegAbility> {
    this.ability ??= this.detect();
    return this.ability;
  }

  private async detect(): Promise<FfmpegAbility> {
    const run = (args: string[]) =>
      runFfmpeg(this.opts.path, ['-hide_banner', ...args], undefined, {
        maxOutBytes: 4 * 1024 * 1024,
        timeoutMs: 10_000,
      });
    try {
      const v = await run(['-version']);
      if (v.code !== 0)
        return { available: false, reason: `\`${this.opts.path} -version\` failed: ${v.stderr}` };
      const version = /ffmpeg version (\S+)/.exec(v.stdout.toString())?.[1] ?? 'unknown version';
      const [dec, enc] = await Promise.all([run(['-decoders']), run(['-encoders'])]);
      // A line per codec: " A....D amrnb   AMR-NB (Adaptive Multi-Rate NarrowBand)".
      const amrIn = /^\s*A\S*\s+(amrnb|libopencore_amrnb)\s/m.test(dec.stdout.toString());
      const amrOut = /^\s*A\S*\s+libopencore_amrnb\s/m.test(enc.stdout.toString());
      return { available: true, version, amrIn, amrOut };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return {
        available: false,
        reason:
          e.code === 'ENOENT'
            ? `${this.opts.path} not found`
            : `${this.opts.path} does not run: ${e.message}`,
      };
    }
  }

  /**
   * Converts `input` (any format ffmpeg reads) with `outArgs` (output options ending with the
   * format, written to stdout). Rejects with what went wrong; never hangs past the deadline.
   */
  async convert(input: Buffer, outArgs: string[]): Promise<Buffer> {
    if (input.length > this.maxInBytes)
      throw new Error(
        `voice of ${input.length} bytes is over the ${this.maxInBytes}-byte limit for conversion`,
      );
    // -xerror: a corrupt voice fails rather than becoming noise Coze would transcribe as something.
    const r = await this.gate.run(() =>
      runFfmpeg(
        this.opts.path,
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-nostdin',
          '-xerror',
          '-i',
          'pipe:0',
          '-vn',
          ...outArgs,
          'pipe:1',
        ],
        input,
        { maxOutBytes: this.maxOutBytes, timeoutMs: this.timeoutMs },
      ),
    );
    if (!r) throw new Error('too many voice conversions at once');
    if (r.code !== 0 || r.stdout.length === 0)
      throw new Error(
        `ffmpeg could not convert the voice (exit ${r.code}): ${r.stderr.slice(0, 300) || 'no output'}`,
      );
    return r.stdout;
  }
}
