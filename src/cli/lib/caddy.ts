/**
 * Caddy in front of wxcoze: render templates/Caddyfile, validate it with the installed Caddy, and hook
 * it into the system Caddy (an `import` line in /etc/caddy/Caddyfile, then `caddy reload`). Caddy
 * obtains and renews the certificate itself.
 */
import { execa } from 'execa';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { dataPaths } from './paths.js';
import { renderTemplateFile } from './template.js';

export interface CaddySite {
  domain: string;
  /** host:port of wxcoze. */
  upstream: string;
  /** 'auto' (public CA, the default), 'internal' (Caddy's own CA: tests, LANs) or an ACME e-mail. */
  tls?: string;
  httpPort?: number;
  httpsPort?: number;
  /** File-system storage folder for certificates (default: Caddy's own). */
  storage?: string;
  /** 'off' or an address for Caddy's admin endpoint. */
  admin?: string;
  /** Don't try to install Caddy's local CA into the system trust store. */
  skipInstallTrust?: boolean;
}

// The template functions live in ./template.ts (one renderer for every template); re-exported for callers of this module.
export { readTemplate, renderTemplate } from './template.js';

/** True when the site needs a global options block (then it must be run on its own, not imported). */
export function hasGlobalOptions(site: CaddySite): boolean {
  return Boolean(site.httpPort || site.httpsPort || site.storage || site.admin || site.skipInstallTrust);
}

export function renderCaddyfile(site: CaddySite): string {
  const g: string[] = [];
  if (site.admin) g.push(`\tadmin ${site.admin}`);
  if (site.httpPort) g.push(`\thttp_port ${site.httpPort}`);
  if (site.httpsPort) g.push(`\thttps_port ${site.httpsPort}`);
  if (site.skipInstallTrust) g.push('\tskip_install_trust');
  if (site.storage) g.push(`\tstorage file_system {\n\t\troot ${JSON.stringify(site.storage)}\n\t}`);
  const tls = !site.tls || site.tls === 'auto' ? '' : `\ttls ${site.tls}`;
  return renderTemplateFile('Caddyfile', {
    DOMAIN: site.domain,
    GLOBAL_OPTIONS: g.length ? `{\n${g.join('\n')}\n}\n` : '',
    SITE_ADDRESS: site.domain,
    TLS: tls,
    UPSTREAM: site.upstream,
  });
}

/** The Caddy binary if one runs (`caddy version`), else undefined. WXCOZE_CADDY_BIN overrides the name. */
export async function findCaddy(): Promise<{ bin: string; version: string } | undefined> {
  const bin = process.env.WXCOZE_CADDY_BIN || 'caddy';
  try {
    const r = await execa(bin, ['version'], { timeout: 10_000, reject: false });
    if (r.exitCode !== 0) return undefined;
    return { bin, version: r.stdout.trim().split(/\s+/)[0] ?? '' };
  } catch {
    return undefined;
  }
}

/** How to install Caddy (the fix; the problem — "Caddy is not installed" — is said by the caller). */
export const INSTALL_CADDY_STEPS =
  'On Debian/Ubuntu: `sudo apt install caddy` (newer versions: https://caddyserver.com/docs/install), then run `wxcoze init` again — it adds the site and reloads Caddy.';

/** The last meaningful line of Caddy's output (its JSON log lines carry the error under "error"). */
function gist(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const l of lines.reverse()) {
    if (l.startsWith('{')) {
      try {
        const o = JSON.parse(l) as { error?: string; msg?: string; level?: string };
        if (o.error) return o.error;
        if (o.level === 'error' && o.msg) return o.msg;
        continue;
      } catch {
        /* plain text */
      }
    }
    return l;
  }
  return '(no output)';
}

export async function validateCaddyfile(
  bin: string,
  file: string,
): Promise<{ ok: boolean; message: string }> {
  const r = await execa(bin, ['validate', '--config', file, '--adapter', 'caddyfile'], {
    reject: false,
    timeout: 60_000,
    all: true,
  });
  return { ok: r.exitCode === 0, message: r.exitCode === 0 ? 'Valid configuration' : gist(r.all ?? '') };
}

/** Where the system Caddy reads its configuration (Debian's package: /etc/caddy/Caddyfile). */
export function mainCaddyfile(): string {
  return process.env.WXCOZE_CADDY_MAIN || '/etc/caddy/Caddyfile';
}

/** The site file in Caddy's own configuration folder: /etc/caddy/sites/wxcoze.caddy on Debian. */
export function systemSiteFile(): string {
  return join(dirname(mainCaddyfile()), 'sites', 'wxcoze.caddy');
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `init` writes the site. Debian's Caddy runs as its own user and cannot enter wxcoze's 0700 data
 * directory, so a site the system Caddy imports goes beside its Caddyfile when that folder is writable
 * (root). Otherwise (and for a Caddy the user runs by hand) it stays in the data directory.
 */
export function caddySiteFile(
  dataDir: string,
  o: { explicit?: string; forSystemCaddy: boolean },
): { file: string; system: boolean } {
  if (o.explicit) return { file: o.explicit, system: false };
  const etc = dirname(mainCaddyfile());
  if (o.forSystemCaddy && existsSync(mainCaddyfile()) && writable(etc))
    return { file: systemSiteFile(), system: true };
  return { file: dataPaths(dataDir).caddyfile, system: false };
}

/**
 * Writes the rendered site readable by Caddy's user (0644; its folder 0755 when created here) despite
 * wxcoze's 077 umask. It holds no secret: a domain, a local port, TLS options.
 */
export function writeCaddySite(file: string, text: string): void {
  const dir = dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
  }
  writeFileSync(file, text);
  chmodSync(file, 0o644);
}

/**
 * Adds `import <site file>` to the main Caddyfile (once), validates the whole, and reloads the
 * running Caddy. Each failure says what to do.
 */
export async function installSite(
  bin: string,
  mainFile: string,
  siteFile: string,
): Promise<{ ok: boolean; message: string }> {
  const line = `import ${siteFile}`;
  let text: string;
  try {
    text = readFileSync(mainFile, 'utf8');
  } catch (err) {
    return {
      ok: false,
      message: `cannot read ${mainFile} (${(err as NodeJS.ErrnoException).code}). Add the line \`${line}\` to your Caddyfile by hand, then \`sudo systemctl reload caddy\`.`,
    };
  }
  if (!text.split('\n').some((l) => l.trim() === line)) {
    try {
      writeFileSync(mainFile, `${text.replace(/\n*$/, '\n')}\n# added by wxcoze init\n${line}\n`);
    } catch (err) {
      return {
        ok: false,
        message: `cannot write ${mainFile} (${(err as NodeJS.ErrnoException).code}): run \`wxcoze init\` with sudo, or add \`${line}\` to it by hand and \`sudo systemctl reload caddy\`.`,
      };
    }
  }
  const v = await validateCaddyfile(bin, mainFile);
  if (!v.ok)
    return {
      ok: false,
      message: `${mainFile} does not validate after adding wxcoze's site: ${v.message}. Fix it (\`caddy validate --config ${mainFile}\`), then \`sudo systemctl reload caddy\`.`,
    };
  const r = await execa(bin, ['reload', '--config', mainFile, '--adapter', 'caddyfile'], {
    reject: false,
    timeout: 60_000,
    all: true,
  });
  if (r.exitCode !== 0) {
    return {
      ok: false,
      message: `Caddy did not reload (${gist(r.all ?? '')}). If Caddy is not running, start it: \`sudo systemctl enable --now caddy\`.`,
    };
  }
  return { ok: true, message: `added to ${mainFile} and Caddy reloaded` };
}
