import type { Command } from 'commander';
import { runDoctor } from '../doctor/run.js';
import type { CheckResult } from '../doctor/types.js';
import { nextCommand, withDataDir } from '../lib/next-command.js';
import { FAIL, OK, SKIP, WARN, dim, indent } from '../lib/ui.js';
import { collect } from './verify.js';

function line(r: CheckResult): string {
  const mark = r.skipped ? SKIP() : r.warning ? WARN() : r.ok ? OK() : FAIL();
  const out = [`${mark} ${r.title}: ${r.skipped ? dim(r.detail) : indent(withDataDir(r.detail), 4)}`];
  if ((!r.ok || r.warning) && r.fix) out.push(`    → ${indent(withDataDir(r.fix), 6)}`);
  return out.join('\n');
}

/** `wxcoze doctor`: every check with ✓ or ✗ and the fix; exit 1 when any check fails. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the whole setup: config, files, port, Node, store, Coze, WeCom (60020, 48002), clock, TLS, public callback',
    )
    .option('--url <url>', 'public callback URL to check (default https://<WXCOZE_DOMAIN>/wechat/hook)')
    .option('--ca-file <pem>', 'also trust this CA for the TLS checks')
    .option('--resolve <host:port:addr>', 'use this address for host:port, like curl (repeatable)', collect)
    .option(
      '--probe-chat',
      'send one test message to the bot (proves it is published to the API; uses one call of your Coze quota)',
    )
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        url?: string;
        caFile?: string;
        resolve?: string[];
        probeChat?: boolean;
        json?: boolean;
      }) => {
        const results = await runDoctor(
          {
            ...(opts.url ? { url: opts.url } : {}),
            ...(opts.caFile ? { caFile: opts.caFile } : {}),
            ...(opts.resolve ? { resolve: opts.resolve } : {}),
            ...(opts.probeChat ? { probeChat: true } : {}),
          },
          opts.json ? undefined : (r) => console.log(line(r)),
        );
        const failed = results.filter((r) => !r.ok);
        process.exitCode = failed.length ? 1 : 0;
        if (opts.json) {
          console.log(JSON.stringify({ ok: failed.length === 0, checks: results }, null, 2));
          return;
        }
        const warned = results.filter((r) => r.warning).length;
        const unproven = warned
          ? ` ${warned} thing${warned === 1 ? ' is' : 's are'} not proven (!): see ${warned === 1 ? 'its' : 'their'} hint.`
          : '';
        console.log(
          failed.length
            ? `\n${failed.length} check${failed.length === 1 ? '' : 's'} failed: fix ${failed.length === 1 ? 'it' : 'them'} and run \`${nextCommand('doctor')}\` again.${unproven}`
            : `\nNo check failed.${unproven || ' Everything checked is in order.'}`,
        );
      },
    );
}
