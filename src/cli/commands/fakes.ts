import type { Command } from 'commander';
import { startFakeCoze } from '../../fakes/coze/index.js';
import { startFakeWecom } from '../../fakes/wecom/index.js';
import { addFakesSayCommand } from './fakes-say.js';

// Sample values, only ever accepted by the local fakes.
const FAKE = {
  corpId: 'ww1436e0e65a779aee',
  secret: 'fake-kf-secret-0123456789',
  cozeToken: 'pat_fake_token_0123456789',
  botId: '7379462189365198898',
  kf: 'wkFAKE00000000000000000000000001',
};

/**
 * `wxcoze fakes`: the project's fake WeCom and fake Coze on loopback, until Ctrl-C, so `init`,
 * `start`, `verify` and `doctor` can be tried without any account. `--wall` switches on a setup wall.
 */
export function registerFakes(program: Command): void {
  const fakes = program
    .command('fakes')
    .description('run the fake WeCom and fake Coze locally (try init/start/verify/doctor without accounts)')
    .option('--wecom-port <port>', 'fake WeCom port', '9101')
    .option('--coze-port <port>', 'fake Coze port', '9102')
    .option(
      '--wall <code>',
      'answer with a setup wall: 60020 (gettoken: untrusted IP) or 48002 (kf accounts not handed to the API)',
    )
    .action(async (opts: { wecomPort: string; cozePort: string; wall?: string }) => {
      const wecom = await startFakeWecom({
        corpId: FAKE.corpId,
        secret: FAKE.secret,
        port: Number(opts.wecomPort),
        allowSyncWithoutToken: true,
      });
      const coze = await startFakeCoze({
        token: FAKE.cozeToken,
        botIds: [FAKE.botId],
        port: Number(opts.cozePort),
      });
      wecom.addAccount(FAKE.kf, '演示客服');
      if (opts.wall === '60020') wecom.failGettoken(60020, { fromIp: '203.0.113.7' });
      else if (opts.wall === '48002') wecom.failAccountList(48002);
      else if (opts.wall) throw new Error(`--wall ${opts.wall}: use 60020 or 48002`);
      // Secrets go through the environment, never the command line (`ps` shows it): the sample teaches that.
      console.log(`fake WeCom  ${wecom.url}   CorpID ${FAKE.corpId}   Secret ${FAKE.secret}   kf account 演示客服
fake Coze   ${coze.url}   token ${FAKE.cozeToken}   bot ${FAKE.botId}
(sample values only these fakes accept)

In another terminal, put the secrets in the environment (not on the command line, where \`ps\` shows them):
  export WECOM_API_BASE=${wecom.url} COZE_API_TOKEN=${FAKE.cozeToken} WECOM_SECRET=${FAKE.secret}
then answer the questions of \`npx wxcoze init\` (Coze region: "another API base URL" → ${coze.url}; no domain), or all at once:
  npx wxcoze init --yes --coze-region ${coze.url} --bot-id ${FAKE.botId} --corp-id ${FAKE.corpId} --host 0.0.0.0
then: npx wxcoze start --daemon && npx wxcoze verify && npx wxcoze doctor
and talk to your server as a customer:  npx wxcoze fakes say "你好"
Ctrl-C stops the fakes.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await wecom.close();
      await coze.close();
    });
  addFakesSayCommand(fakes);
}
