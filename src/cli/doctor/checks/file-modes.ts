import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DoctorCheck, fail, pass } from '../types.js';

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

/** Secrets on disk readable by the owner only: config.json 0600, data directory 0700, .env 0600. */
export const fileModesCheck: DoctorCheck = {
  id: 'file-modes',
  title: 'secret files readable by their owner only',
  async run(ctx) {
    const bad: string[] = [];
    const fixes: string[] = [];
    const seen: string[] = [];
    const look = (path: string, want: number) => {
      if (!existsSync(path)) return;
      const mode = statSync(path).mode & 0o777;
      seen.push(`${path} ${octal(mode)}`);
      if (mode & 0o077) {
        bad.push(`${path} is ${octal(mode)}`);
        fixes.push(`chmod ${octal(want)} ${path}`);
      }
    };
    look(ctx.paths.dataDir, 0o700);
    look(ctx.paths.configFile, 0o600);
    look(join(process.cwd(), '.env'), 0o600);
    if (bad.length) return fail(this.title, `${bad.join(', ')}: other users of this machine can read the secrets`, `Run: ${fixes.join(' && ')}`);
    return pass(this.title, seen.length ? seen.join(', ') : 'no config file or data directory yet');
  },
};
