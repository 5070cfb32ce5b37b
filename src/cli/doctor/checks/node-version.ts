import { type DoctorCheck, fail, pass } from '../types.js';

const MIN = [20, 18, 1];

/** Node.js 20.18.1 or newer (package.json engines). */
export const nodeVersionCheck: DoctorCheck = {
  id: 'node',
  title: 'Node.js version',
  async run() {
    const v = process.versions.node.split('.').map(Number);
    const ok = v[0]! > MIN[0]! || (v[0] === MIN[0] && (v[1]! > MIN[1]! || (v[1] === MIN[1] && v[2]! >= MIN[2]!)));
    if (ok) return pass(this.title, `v${process.versions.node}`);
    return fail(this.title, `v${process.versions.node} is older than ${MIN.join('.')}`, 'Install Node.js 20 LTS or newer (e.g. from https://nodejs.org or `nvm install 20`), then `npm install` again.');
  },
};
