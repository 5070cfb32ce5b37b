import { existsSync } from 'node:fs';
import { openStore } from '../../../store/index.js';
import { consoleUrl } from '../../lib/operators.js';
import { nextCommand } from '../../lib/next-command.js';
import { type DoctorCheck, pass, skip, warn } from '../types.js';

/** Whether the web console is on (an operator exists) and where to open it. Off is a warning, not a failure. */
export const consoleCheck: DoctorCheck = {
  id: 'console',
  title: 'web console',
  async run(ctx) {
    const url = consoleUrl(ctx.config);
    const databaseUrl = ctx.config.store?.databaseUrl;
    const off = (why: string) =>
      warn(
        this.title,
        `off: ${why}`,
        `Run \`${nextCommand('admin password')}\` to create the admin login; then open ${url}`,
      );
    // Doctor creates nothing: without a database file there is no operator yet.
    if (!databaseUrl && !existsSync(ctx.paths.database)) return off('no operator yet');
    let names: string[];
    try {
      const store = await openStore({ dataDir: ctx.config.dataDir, databaseUrl });
      try {
        names = (await store.consoleAccess.listOperators()).map((o) => o.name);
      } finally {
        await store.close();
      }
    } catch {
      return skip(this.title, 'the store did not open (see the store check)');
    }
    if (!names.length) return off('no operator yet');
    const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
    return pass(
      this.title,
      `on at ${url} (${names.length} operator${names.length === 1 ? '' : 's'}: ${shown})`,
    );
  },
};
