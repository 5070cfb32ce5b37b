/**
 * Stage "systemd unit": written for the user to install with sudo (init does not need root). The
 * unit runs an install that stays: run from npx's cache (pruned by npm), wxcoze copies itself first.
 */
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { packageVersion } from '../../lib/paths.js';
import { ensureServiceInstall, renderSystemdUnit } from '../../lib/systemd-unit.js';
import { OK } from '../../lib/ui.js';
import type { Stage } from '../stage.js';

export const serviceStage: Stage = {
  async run(ctx) {
    const service = ensureServiceInstall(ctx.dataDir);
    if (service.copiedTo)
      console.log(
        `${OK()} wxcoze ${packageVersion()} ${service.reused ? 'already copied' : 'copied'} to ${service.copiedTo} for the service (npx's cache, where it ran from, is pruned by npm)`,
      );
    const unitFile = ctx.paths.systemdUnit;
    writeFileSync(
      unitFile,
      renderSystemdUnit({
        unitFile,
        user: userInfo().username,
        workDir: ctx.cwd,
        dataDir: ctx.dataDir,
        node: process.execPath,
        launcher: service.launcher,
      }),
    );
    console.log(
      `${OK()} systemd unit written to ${unitFile}\n    to run wxcoze at boot: sudo cp ${unitFile} /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now wxcoze`,
    );
  },
};
