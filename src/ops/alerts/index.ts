/**
 * Alerts (issue #14): conditions.ts says what is wrong, state.ts when an alert starts and ends,
 * evaluator.ts runs them on every instance and claims each send through the store, channel.ts
 * posts to the group robot or a JSON webhook, message.ts writes the words. `createAlerts` wires
 * them for startServer; off (undefined) while WXCOZE_ALERT_WEBHOOK is unset.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { WxcozeConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import type { Store } from '../../store/types.js';
import { AlertChannel } from './channel.js';
import type { ConsoleWatch } from './console-watch.js';
import { AlertEvaluator, type AlertReaders } from './evaluator.js';
import { cozeProbe, cozeTokenExpiresAt, diskUsage, PublicCertReader } from './readers.js';

export { AlertChannel } from './channel.js';
export { AlertEvaluator } from './evaluator.js';
export { ConsoleWatch } from './console-watch.js';

export function createAlerts(deps: {
  config: WxcozeConfig;
  store: Store;
  logger: Logger;
  coze: { getMe(opts?: { signal?: AbortSignal }): Promise<unknown> };
  consoleWatch: ConsoleWatch;
  instanceId: () => string;
  consoleUrl: string;
  /** Tests replace a reader (the disk, the certificate) without touching the machine. */
  readers?: Partial<AlertReaders>;
}): AlertEvaluator | undefined {
  const { config } = deps;
  const url = config.alerts.webhook;
  if (!url) return undefined;
  const certs = new PublicCertReader(config.domain);
  const readers: AlertReaders = {
    cozeProbe: cozeProbe(deps.coze),
    consoleSeenAt: () => deps.consoleWatch.seenAt(),
    cert: (now) => certs.read(now),
    cozeTokenExpiresAt: () => cozeTokenExpiresAt(config),
    disk: () => diskUsage(config.dataDir),
    ...deps.readers,
  };
  return new AlertEvaluator({
    config: config.alerts,
    store: deps.store,
    channel: new AlertChannel({ url, format: config.alerts.format }),
    readers,
    logger: deps.logger.child({ component: 'alerts' }),
    owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    instanceId: deps.instanceId,
    accountName: (id) => config.service.accounts[id]?.name,
    consoleUrl: deps.consoleUrl,
  });
}
