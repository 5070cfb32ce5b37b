import { createRequire } from 'node:module';
import semver from 'semver';
import { type DoctorCheck, fail, pass } from '../types.js';

/** package.json's engines range: the one place that says which Node.js versions wxcoze runs on. */
const ENGINES = (createRequire(import.meta.url)('../../../../package.json') as { engines: { node: string } })
  .engines.node;

/** Node.js within package.json's engines (20.18.1 and later 20.x, or 22 and later: better-sqlite3 has no build for 21). */
export const nodeVersionCheck: DoctorCheck = {
  id: 'node',
  title: 'Node.js version',
  async run() {
    if (semver.satisfies(process.versions.node, ENGINES))
      return pass(this.title, `v${process.versions.node}`);
    return fail(
      this.title,
      `v${process.versions.node} is not one wxcoze runs on (${ENGINES})`,
      'Install Node.js 20 LTS (20.18.1 or newer) or 22 and later (e.g. from https://nodejs.org, or `nvm install 22`), then install wxcoze again.',
    );
  },
};
