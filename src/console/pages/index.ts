import type { ConsolePage } from '../types.js';
import { auditPage } from './audit.js';
import { chartsPage } from './charts.js';
import { contactPage } from './contact.js';
import { healthPage } from './health.js';
import { settingsPage } from './settings.js';

/**
 * Every page of the logged-in console, registered by src/console/plugin.ts inside the authed scope
 * (session checked, CSRF checked on POST, `request.operator` set). One line per page: add yours.
 */
export const CONSOLE_PAGES: ConsolePage[] = [auditPage, healthPage, chartsPage, settingsPage, contactPage];
