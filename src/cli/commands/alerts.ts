import type { Command } from 'commander';
import { hostname } from 'node:os';
import { loadConfig } from '../../config/load.js';
import { settingProblem } from '../../config/schema.js';
import { maskWebhookUrl, webhookFormat } from '../../config/webhook-url.js';
import { AlertChannel, ROBOT_ERRORS } from '../../ops/alerts/channel.js';
import { sampleMessage } from '../../ops/alerts/message.js';
import { withDataDir } from '../lib/next-command.js';
import { FAIL, OK, bold, dim } from '../lib/ui.js';

export interface AlertsTestResult {
  ok: boolean;
  /** What to print, line by line. */
  lines: string[];
}

/**
 * Sends `wxcoze alerts test`'s sample to the webhook (`url`, else WXCOZE_ALERT_WEBHOOK) and says
 * what happened: delivered, or what failed and what to do. The URL is only ever shown masked.
 */
export async function alertsTest(
  opts: { url?: string; format?: 'wecom' | 'json' } = {},
): Promise<AlertsTestResult> {
  const { config, problems } = loadConfig();
  const url = opts.url ?? config.alerts.webhook;
  const badSetting = problems.find(
    (p) => p.key === 'WXCOZE_ALERT_WEBHOOK' || p.key === 'WXCOZE_ALERT_WEBHOOK_FORMAT',
  );
  if (!opts.url && badSetting)
    return { ok: false, lines: [`${FAIL()} ${badSetting.problem}`, `  → ${badSetting.fix}`] };
  if (!url)
    return {
      ok: false,
      lines: [
        `${FAIL()} alerts are off: WXCOZE_ALERT_WEBHOOK is not set (告警未开启)`,
        '  → In the WeCom group that should get alerts: 群设置 → 群机器人 → 添加机器人, copy its Webhook address into WXCOZE_ALERT_WEBHOOK (config.json or the environment), then run `wxcoze alerts test` again.',
      ],
    };
  if (opts.url) {
    const problem = settingProblem('WXCOZE_ALERT_WEBHOOK', opts.url);
    if (problem)
      return { ok: false, lines: [`${FAIL()} --url ${problem.replace(/^WXCOZE_ALERT_WEBHOOK\S* /, '')}`] };
  }
  const format = opts.format ?? (opts.url ? webhookFormat(url, 'auto') : config.alerts.format);
  const channel = new AlertChannel({ url, format });
  const what = format === 'wecom' ? 'WeCom group robot' : 'JSON webhook';
  const r = await channel.send(sampleMessage(`wxcoze alerts test · ${hostname()}`));
  if (r.ok)
    return {
      ok: true,
      lines: [
        `${OK()} sample alert delivered to the ${what} ${dim(maskWebhookUrl(url))}`,
        `  示例告警已发送：请在群里查看。Real alerts come one when a problem starts and one when it clears.`,
      ],
    };
  const known = r.errcode !== undefined ? ROBOT_ERRORS[r.errcode] : undefined;
  const fix =
    known?.zh ??
    (r.reason.startsWith('the webhook did not answer')
      ? `Check that this server can reach ${new URL(url).host} (firewall, proxy, DNS).`
      : format === 'wecom'
        ? 'Check the Webhook address (群设置 → 群机器人) in WXCOZE_ALERT_WEBHOOK.'
        : 'Check the URL and what the receiving service expects (WXCOZE_ALERT_WEBHOOK_FORMAT=wecom for a group robot behind a proxy).');
  return {
    ok: false,
    lines: [
      `${FAIL()} the ${what} ${dim(maskWebhookUrl(url))} did not take the sample: ${r.reason}`,
      `  → ${fix}`,
    ],
  };
}

/** `wxcoze alerts test`: one sample through the configured channel. */
export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('alerts to a WeCom group robot or a JSON webhook');
  alerts
    .command('test')
    .description('send a sample alert through WXCOZE_ALERT_WEBHOOK and say whether it arrived')
    .option('--url <webhook>', 'try this webhook instead of WXCOZE_ALERT_WEBHOOK (e.g. before saving it)')
    .action(async (o: { url?: string }) => {
      const r = await alertsTest(o.url ? { url: o.url } : {});
      for (const line of r.lines) console.log(withDataDir(line));
      if (r.ok) return;
      console.log(dim(`  ${bold('wxcoze doctor')} shows every setting's state.`));
      process.exitCode = 1;
    });
}
