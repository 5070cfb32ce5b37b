import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { systemSiteFile } from '../../lib/caddy.js';
import { looseModes, octal, privatePaths } from '../../lib/private-files.js';
import { type DoctorCheck, fail, pass } from '../types.js';

/**
 * Secrets and customer data on disk readable by their owner only: the data directory 0700 and the
 * config, database (-wal, -shm), logs, run files and unit 0600; .env and the Coze OAuth app's private
 * key file 0600. The Caddy site file is the
 * exception: it holds no secret and Caddy's own user must read it.
 */
export const fileModesCheck: DoctorCheck = {
  id: 'file-modes',
  title: 'secret files readable by their owner only',
  async run(ctx) {
    // The OAuth app's private key, wherever it is kept: `start` refuses it (never tightens it) while others can read it.
    const keyFile = ctx.config.coze.oauth?.privateKeyFile;
    const list = [
      ...privatePaths(ctx.paths),
      { path: join(process.cwd(), '.env'), want: 0o600 },
      ...(keyFile ? [{ path: keyFile, want: 0o600 }] : []),
    ];
    const loose = looseModes(list);
    const problems = loose.map((p) => `${p.path} is ${octal(p.mode)}`);
    const fixes = loose.map((p) => `chmod ${octal(p.want)} ${p.path}`);
    const site = systemSiteFile();
    if (existsSync(site) && !(statSync(site).mode & 0o004)) {
      problems.push(`${site} is ${octal(statSync(site).mode)}, so Caddy's own user cannot read it`);
      fixes.push(`chmod 644 ${site}`);
    }
    if (problems.length) {
      return fail(
        this.title,
        `${problems.join(', ')}${loose.length ? ': other users of this machine can read secrets or customer messages' : ''}`,
        `Run: ${fixes.join(' && ')}${
          loose.some((p) => p.path === keyFile)
            ? ' (`wxcoze start` refuses the Coze private key until then; if others may have copied it, create a new key in the OAuth app)'
            : loose.length
              ? ' (`wxcoze start` also tightens them)'
              : ''
        }`,
      );
    }
    const seen = list.filter((p) => existsSync(p.path));
    return pass(
      this.title,
      seen.length
        ? `${seen.length} file${seen.length === 1 ? '' : 's'} and folder${seen.length === 1 ? '' : 's'} checked in ${ctx.paths.dataDir}, none readable by others`
        : 'no config file or data directory yet',
    );
  },
};
