/**
 * Stage "Caddy" (only with a domain, and not with --no-caddy): renders the site, has Caddy validate
 * it, and adds it to the system Caddy with an import line and a reload. Everything that goes wrong
 * here is a step left for the user (a wall), not a reason to stop: the config is already written.
 */
import { confirm } from '@inquirer/prompts';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  caddySiteFile,
  findCaddy,
  hasGlobalOptions,
  installSite,
  INSTALL_CADDY_STEPS,
  mainCaddyfile,
  renderCaddyfile,
  systemSiteFile,
  validateCaddyfile,
  writeCaddySite,
  type CaddySite,
} from '../../lib/caddy.js';
import { FAIL, OK, WARN, dim, indent } from '../../lib/ui.js';
import { addWall, problemText, type InitContext } from '../context.js';
import type { Stage } from '../stage.js';

async function setUpCaddy(ctx: InitContext): Promise<void> {
  const { opts } = ctx;
  const c = { domain: ctx.reach!.domain!, port: Number(ctx.reach!.port) };
  const site: CaddySite = {
    domain: c.domain,
    upstream: `127.0.0.1:${c.port}`,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.httpPort ? { httpPort: Number(opts.httpPort) } : {}),
    ...(opts.httpsPort ? { httpsPort: Number(opts.httpsPort) } : {}),
    ...(opts.caddyStorage ? { storage: resolve(opts.caddyStorage) } : {}),
    ...(opts.caddyAdmin ? { admin: opts.caddyAdmin } : {}),
    ...(opts.tls === 'internal' ? { skipInstallTrust: true } : {}),
  };
  const forSystemCaddy = opts.caddyReload !== false && !hasGlobalOptions(site);
  const { file, system } = caddySiteFile(ctx.dataDir, {
    ...(opts.caddyfile ? { explicit: resolve(opts.caddyfile) } : {}),
    forSystemCaddy,
  });
  writeCaddySite(file, renderCaddyfile(site));
  console.log(`${OK()} Caddyfile written to ${file} (https://${c.domain} → 127.0.0.1:${c.port})`);
  const caddy = await findCaddy();
  if (!caddy) {
    const p = {
      problem: `Caddy is not installed, so nothing serves https://${c.domain}.`,
      fix: INSTALL_CADDY_STEPS,
    };
    console.log(`${WARN()} ${indent(problemText(p), 2)}`);
    addWall(ctx, 'this server', p);
    return;
  }
  const v = await validateCaddyfile(caddy.bin, file);
  if (!v.ok) {
    const p = {
      problem: `Caddy ${caddy.version} rejects ${file}: ${v.message}`,
      fix: `Fix the value named above and run \`wxcoze init\` again (check by hand: \`caddy validate --config ${file} --adapter caddyfile\`).`,
    };
    console.log(`${FAIL()} ${indent(problemText(p), 2)}`);
    addWall(ctx, 'Caddy', p);
    return;
  }
  console.log(`${OK()} Caddy ${caddy.version} validated it`);
  const main = mainCaddyfile();
  if (opts.caddyReload === false) {
    console.log(
      dim(
        `    not touching the system Caddy (--no-caddy-reload). Run it with: caddy run --config ${file} --adapter caddyfile`,
      ),
    );
    return;
  }
  if (hasGlobalOptions(site) || !existsSync(main)) {
    console.log(
      `    run it with: caddy run --config ${file} --adapter caddyfile${hasGlobalOptions(site) ? '' : `   (or add \`import ${file}\` to your Caddyfile)`}`,
    );
    return;
  }
  if (!system && !opts.caddyfile) {
    // Debian's Caddy runs as user caddy: it cannot read a file inside wxcoze's private data directory.
    const target = systemSiteFile();
    const p = {
      problem: `Caddy runs as its own user and cannot read ${file} (wxcoze's data directory is private), and ${dirname(target)} is not writable by ${userInfo().username}.`,
      fix: `Run \`sudo wxcoze init\` again, or by hand: \`sudo install -D -m 644 ${file} ${target}\`, add the line \`import ${target}\` to ${main}, then \`sudo systemctl reload caddy\`.`,
    };
    console.log(`${WARN()} ${indent(problemText(p), 2)}`);
    addWall(ctx, 'Caddy', p);
    return;
  }
  const go = ctx.interactive
    ? await confirm({ message: `Add this site to ${main} (an import line) and reload Caddy?`, default: true })
    : true;
  if (!go) {
    console.log(
      `    to do it later: add \`import ${file}\` to ${main}, then \`sudo systemctl reload caddy\``,
    );
    return;
  }
  const r = await installSite(caddy.bin, main, file);
  if (r.ok) console.log(`${OK()} Caddy: ${r.message}; it fetches the certificate for ${c.domain} by itself`);
  else {
    const p = { problem: 'Caddy was not reloaded with the wxcoze site.', fix: r.message };
    console.log(`${FAIL()} ${indent(problemText(p), 2)}`);
    addWall(ctx, 'Caddy', p);
  }
}

export const caddyStage: Stage = {
  enabled: (ctx) => Boolean(ctx.reach?.domain) && ctx.opts.caddy !== false,
  run: setUpCaddy,
};
