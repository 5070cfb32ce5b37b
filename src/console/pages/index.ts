import type { ConsolePage } from '../types.js';
import { auditPage } from './audit.js';
import { chartsPage } from './charts.js';
import { contactPage } from './contact.js';
import { conversationsPage } from './conversations.js';
import { failedPage } from './failed.js';
import { healthPage } from './health.js';
import { mediaPage } from './media.js';
import { operatorApi } from './operator-api.js';
import { settingsPage } from './settings.js';
import { threadPage } from './thread.js';

/**
 * Every page of the logged-in console, registered by src/console/plugin.ts inside the authed scope
 * (session checked, CSRF checked on POST, `request.operator` set). One line per page: add yours.
 */
export const CONSOLE_PAGES: ConsolePage[] = [
  auditPage,
  conversationsPage,
  threadPage,
  mediaPage,
  failedPage,
  operatorApi,
  healthPage,
  chartsPage,
  settingsPage,
  contactPage,
];
