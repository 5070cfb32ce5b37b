/** The doctor's checks, in the order they are run and printed. */
import type { DoctorCheck } from '../types.js';
import { alertsCheck } from './alerts.js';
import { backupCheck } from './backup.js';
import { cacheCheck } from './cache.js';
import { clockCheck } from './clock.js';
import { configCheck } from './config.js';
import { consoleCheck } from './console.js';
import { cozeBotCheck } from './coze-bot.js';
import { cozeTokenCheck } from './coze-token.js';
import { dataDirCheck } from './data-dir.js';
import { fileModesCheck } from './file-modes.js';
import { kfAccountCheck } from './kf-account.js';
import { nodeVersionCheck } from './node-version.js';
import { portCheck } from './port.js';
import { publicCallbackCheck } from './public-callback.js';
import { reachableCheck } from './reachable.js';
import { storeCheck } from './store.js';
import { tlsCertCheck } from './tls-cert.js';
import { trustedIpCheck } from './trusted-ip.js';
import { voiceCheck } from './voice.js';
import { wecomTokenCheck } from './wecom-token.js';

export const CHECKS: DoctorCheck[] = [
  configCheck,
  fileModesCheck,
  dataDirCheck,
  portCheck,
  nodeVersionCheck,
  voiceCheck,
  storeCheck,
  backupCheck,
  cacheCheck,
  consoleCheck,
  cozeTokenCheck,
  cozeBotCheck,
  wecomTokenCheck,
  trustedIpCheck,
  kfAccountCheck,
  clockCheck,
  reachableCheck,
  tlsCertCheck,
  publicCallbackCheck,
  alertsCheck,
];
