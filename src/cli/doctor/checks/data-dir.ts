import { writeProblem } from '../../lib/writable.js';
import { type DoctorCheck, fail, pass } from '../types.js';

/** The data directory and its logs folder exist (or can be created) and this user can write into them. */
export const dataDirCheck: DoctorCheck = {
  id: 'data-dir',
  title: 'data directory writable',
  async run(ctx) {
    const p = writeProblem(ctx.paths);
    return p ? fail(this.title, p.problem, p.fix) : pass(this.title, ctx.paths.dataDir);
  },
};
