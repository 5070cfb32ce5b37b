import { maskWebhookUrl } from '../../../config/webhook-url.js';
import { type DoctorCheck, needs, pass, skip } from '../types.js';

const minutes = (ms: number) => `${+(ms / 60_000).toFixed(2)} min`;

/**
 * Whether alerts are on, where they go (the webhook masked: it carries the robot's key) and the
 * thresholds in force. Sends nothing: `wxcoze alerts test` does. Off is shown, not a failure.
 */
export const alertsCheck: DoctorCheck = {
  id: 'alerts',
  title: 'alerts',
  async run(ctx) {
    const a = ctx.config.alerts;
    const invalid = needs(ctx, this.title, ['WXCOZE_ALERT_WEBHOOK', 'WXCOZE_ALERT_WEBHOOK_FORMAT']);
    if (invalid) return invalid;
    // Optional: off is not a fault, so it is shown like the other checks that do not apply (–).
    if (!a.webhook)
      return skip(
        this.title,
        'off (nobody is told when Coze or WeCom fails, messages fail or stall, a certificate or the disk runs out): add a robot to a WeCom group (群设置 → 群机器人), put its Webhook address in WXCOZE_ALERT_WEBHOOK, then run `wxcoze alerts test`',
      );
    const to = a.format === 'wecom' ? 'WeCom group robot' : 'JSON webhook';
    return pass(
      this.title,
      `on: ${to} ${maskWebhookUrl(a.webhook)}; Coze failing ${minutes(a.cozeDownMs)}, oldest message ${minutes(a.pendingMs)}, ${a.failedMessages} failed in 30 min, handoff unattended ${minutes(a.handoffMs)}, certificate ${a.certMs / 86_400_000} days, disk ${a.diskPercent}% (\`wxcoze alerts test\` sends a sample)`,
    );
  },
};
