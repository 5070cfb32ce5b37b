/**
 * Stage "write the configuration": only after every answer was given and checked, so an init that
 * stops early (a refused value, Ctrl-C) leaves the previous config untouched. Keys init does not
 * ask about are kept from the existing file.
 */
import { writeConfigValues } from '../../../config/write.js';
import { OK } from '../../lib/ui.js';
import type { Stage } from '../stage.js';

export const writeConfigStage: Stage = {
  async run(ctx) {
    const file = writeConfigValues(ctx.dataDir, { ...ctx.existing, ...ctx.answers });
    console.log(`\n${OK()} configuration written to ${file} (mode 600; folder ${ctx.dataDir} mode 700)`);
  },
};
