import type { FastifyPluginAsync } from 'fastify';
import type { WxcozeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ConsoleSession } from '../store/console-types.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';
import type { ContactLinks } from '../ops/contact.js';
import type { MediaRef, MediaResult } from '../ops/customer-media.js';
import type { Health } from '../ops/health.js';
import type { Lang } from './i18n.js';

/**
 * What the console's routes get from the composition root (src/server/start-server.ts →
 * buildApp → consolePlugin). Add fields here when a page needs more; never rename one.
 */
export interface ConsoleDeps {
  /** The main thread's store handle: every console read and write goes through it. */
  store: Store;
  coordinator: Coordinator;
  config: WxcozeConfig;
  logger: Logger;
  /**
   * Wakes this instance's pipeline after the console stored work for it (an operator's reply, a
   * retry), so it is sent now rather than at the pipeline's next look (PipelineHost.kick).
   */
  kickPipeline?: () => void;
  /** Notes that a console page is open (the live feed calls it); the handoff alert reads it. */
  consoleWatch?: { note(): void };
  /** Health, charts, settings and the contact link (helper D's pages); absent in tests that do not need them. */
  ops?: ConsoleOps;
}

export interface ConsoleOps {
  health: Health;
  contact: ContactLinks;
  /** Has this instance's pipeline apply the settings saved in the console now (others poll). */
  reloadSettings(): Promise<void>;
  /** A customer's image, voice, video or file from WeCom, capped and judged (src/ops/customer-media.ts CustomerMedia). */
  media: { fetch(ref: MediaRef, seq: number): Promise<MediaResult>; readonly maxBytes: number };
}

/** Options every page plugin receives (src/console/pages/index.ts lists the pages). */
export interface ConsolePageOptions extends ConsoleDeps {
  /** The console's path, e.g. `/admin` (WXCOZE_ADMIN_PATH): for links built on the server. */
  base: string;
}

/** A page: a fastify plugin registered inside the authed scope, with routes relative to `base`. */
export type ConsolePage = FastifyPluginAsync<ConsolePageOptions>;

/** Which customer an audited action concerned. */
export interface AuditCustomer {
  openKfId: string;
  externalUserId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in operator's name (authed console routes only; '' elsewhere). */
    operator: string;
    /** The operator's session (authed console routes only). */
    consoleSession: ConsoleSession | null;
    /** The console language chosen for this request (every console route). */
    consoleLang: Lang;
    /** The request's cookies (every console route). */
    consoleCookies: Record<string, string>;
    /**
     * Writes the audit log: this request's operator did `action` (a short code such as `takeover`),
     * to `customer` if any; `detail` is text or a JSON-able object shown in the audit page.
     */
    audit(action: string, customer?: AuditCustomer | null, detail?: string | object): Promise<void>;
  }
}
