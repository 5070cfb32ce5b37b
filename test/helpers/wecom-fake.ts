/** Starts the fake WeCom and a WecomApi pointed at it, with one kf account and one customer. */
import { Writable } from 'node:stream';
import pino from 'pino';
import Keyv from 'keyv';
import { WecomApi } from '../../src/wecom/api.js';
import { startFakeWecom, type FakeWecom, type FakeWecomOptions } from '../../src/fakes/wecom/index.js';
import type { Logger } from '../../src/log/logger.js';
import { REDACT_PATHS } from '../../src/log/logger.js';

export const KF = 'wkTestAccount0000000000000000001';
export const USER = 'wmTestCustomer000000000000000001';

export interface Harness {
  fake: FakeWecom;
  api: WecomApi;
  /** Every log line the api wrote (debug level), to check nothing secret leaks. */
  logLines: string[];
  close(): Promise<void>;
  gettokenCalls(): number;
  callsTo(path: string): number;
}

export function captureLogger(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
}

export async function startHarness(
  opts: { fake?: FakeWecomOptions; timeoutMs?: number; tokenCache?: Keyv } = {},
): Promise<Harness> {
  const fake = await startFakeWecom(opts.fake);
  fake.addAccount(KF, 'Test Desk');
  const logLines: string[] = [];
  const api = new WecomApi({
    baseUrl: fake.url,
    corpId: fake.corpId,
    secret: fake.secret,
    logger: captureLogger(logLines),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.tokenCache ? { tokenCache: opts.tokenCache } : {}),
  });
  const callsTo = (path: string) => fake.calls.filter((c) => c.path === path).length;
  return {
    fake,
    api,
    logLines,
    callsTo,
    gettokenCalls: () => callsTo('/cgi-bin/gettoken'),
    async close() {
      await api.close();
      await fake.close();
    },
  };
}
