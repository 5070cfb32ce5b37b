/**
 * Stage "how WeCom reaches this server": a domain with Caddy in front (wxcoze listens on 127.0.0.1),
 * or no domain and wxcoze on all interfaces, called at http://<IP>:<port>. Without a domain wxcoze
 * must listen on all interfaces: on 127.0.0.1 alone nothing WeCom sends reaches it.
 */
import { select } from '@inquirer/prompts';
import { isIP } from 'node:net';
import { ALL_INTERFACES, isLoopbackHost } from '../../lib/listen-address.js';
import { FAIL } from '../../lib/ui.js';
import { ask, bySchema, schemaVerdict, type Question } from '../ask.js';
import { addWall, type InitContext } from '../context.js';
import type { Stage } from '../stage.js';

const domainQuestion: Question = {
  key: 'WXCOZE_DOMAIN',
  flag: '--domain',
  message: 'Domain for the callback URL (it must point at this server)',
  normalise: (v) => v.toLowerCase(),
  validate: bySchema('WXCOZE_DOMAIN', 'Use a bare domain like kf.example.com (no https://, no path).'),
};

const portQuestion: Question = {
  key: 'PORT',
  flag: '--port',
  message: 'Local port for wxcoze (Caddy forwards to it)',
  fallback: '8000',
  validate: (v) => {
    const fix = 'Use a port from 1 to 65535 (8000 is the usual one; Caddy listens on 443).';
    const form = schemaVerdict('PORT', v, fix);
    // The schema takes 0 (any free port, for tests); WeCom needs to know the port.
    return form === true && Number(v) === 0 ? `PORT 0 picks a different port at each start. ${fix}` : form;
  },
};

const hostQuestion: Question = {
  key: 'WXCOZE_HOST',
  flag: '--host',
  message: 'Address wxcoze listens on',
  validate: (v) =>
    isIP(v) || v === 'localhost'
      ? true
      : 'use 0.0.0.0 (all interfaces: WeCom calls http://<IP>:<port>) or 127.0.0.1 (a proxy such as Caddy in front).',
  refuse: (v, problem) => `${FAIL()} WXCOZE_HOST "${v}" is not an address: ${problem}`,
};

async function askInteractively(ctx: InitContext): Promise<{ domain?: string; port: string; host?: string }> {
  const host = ctx.current('WXCOZE_HOST');
  const reach = await select({
    message: 'How will WeCom reach this server?',
    choices: [
      {
        name: "a domain: HTTPS by Caddy in front (the domain's DNS record points at this server)",
        value: 'domain' as const,
      },
      {
        name: "no domain: wxcoze listens on all interfaces and WeCom calls http://<this server's IP>:<port> (the port must be open in the firewall)",
        value: 'port' as const,
      },
    ],
    default: !ctx.current('WXCOZE_DOMAIN') && host && !isLoopbackHost(host) ? 'port' : 'domain',
  });
  if (reach === 'domain') {
    const domain = await ask(ctx, domainQuestion);
    const port = await ask(ctx, portQuestion);
    return { domain, port }; // host unset = 127.0.0.1: only Caddy talks to wxcoze
  }
  const port = await ask(ctx, { ...portQuestion, message: 'Port WeCom calls (open it in the firewall)' });
  return { port, host: ALL_INTERFACES };
}

async function takeGiven(ctx: InitContext): Promise<{ domain?: string; port: string; host?: string }> {
  const domain = await ask(ctx, { ...domainQuestion, optional: true });
  const port = await ask(ctx, portQuestion);
  const host = await ask(ctx, { ...hostQuestion, optional: true });
  if (!domain && (!host || isLoopbackHost(host))) {
    addWall(
      ctx,
      'this server',
      {
        problem: `WeCom cannot reach this server: no domain is set and wxcoze listens on ${host ?? '127.0.0.1'} only.`,
        fix: 'Run `wxcoze init --yes` again with --domain <domain> (Caddy in front, HTTPS) or with --host 0.0.0.0 (WeCom calls http://<IP>:<port>; open the port in the firewall), or set WXCOZE_DOMAIN / WXCOZE_HOST.',
      },
      true,
    );
  }
  return { domain, port, host };
}

export const reachabilityStage: Stage = {
  title: 'How WeCom reaches this server',
  async run(ctx) {
    const reach = ctx.interactive ? await askInteractively(ctx) : await takeGiven(ctx);
    Object.assign(ctx.answers, { WXCOZE_DOMAIN: reach.domain, PORT: reach.port, WXCOZE_HOST: reach.host });
    ctx.reach = reach;
  },
};
