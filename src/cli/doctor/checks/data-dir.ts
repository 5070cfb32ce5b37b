import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DoctorCheck, fail, pass } from '../types.js';

/** The data directory exists (or can be created) and this user can write into it. */
export const dataDirCheck: DoctorCheck = {
  id: 'data-dir',
  title: 'data directory writable',
  async run(ctx) {
    const dir = ctx.paths.dataDir;
    try {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const probe = join(dir, `.doctor-${process.pid}`);
      writeFileSync(probe, 'ok');
      rmSync(probe);
      return pass(this.title, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return fail(this.title, `cannot write in ${dir} (${code})`, code === 'EACCES' || code === 'EPERM'
        ? `Give it to the user that runs wxcoze: \`sudo chown -R $(id -un) ${dir}\`, or set WXCOZE_DATA_DIR to a folder you own.`
        : `Create it (\`mkdir -p ${dir}\` in ${dirname(dir)}) or set WXCOZE_DATA_DIR to a writable folder; check the disk is not full or read-only (\`df -h ${dirname(dir)}\`).`);
    }
  },
};
