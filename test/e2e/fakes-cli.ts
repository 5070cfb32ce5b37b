/**
 * `wxcoze fakes` as a newcomer runs it (a child process printing its banner), and the setup its sample
 * describes: init with the sample's environment and flags, then `start --daemon`. For the `fakes say` tests.
 */
import assert from 'node:assert/strict';
import { execa, type ResultPromise } from 'execa';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { baseEnv, cli, CLI, freePort, tempDir, waitFor } from './helpers.js';

const children: ResultPromise[] = [];
const dataDirs: string[] = [];

/** Kills what runFakes and initAndStart left running (call it in after()). */
export async function cleanUp(): Promise<void> {
  for (const d of dataDirs) {
    const pid = readPid(d);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const c of children) {
    c.kill('SIGKILL');
    await c.catch(() => {});
  }
}

/** `wxcoze fakes` until its banner is printed; returns the banner. */
export async function runFakes(
  extra: string[] = [],
): Promise<{ banner: string; wecomPort: number; child: ResultPromise }> {
  const [wecomPort, cozePort] = [await freePort(), await freePort()];
  const child = execa(
    process.execPath,
    [CLI, 'fakes', '--wecom-port', String(wecomPort), '--coze-port', String(cozePort), ...extra],
    { env: baseEnv(), extendEnv: false, reject: false, all: true },
  );
  children.push(child);
  let out = '';
  child.all?.on('data', (d) => {
    out += d;
  });
  await waitFor(`the fakes banner\n${out}`, () => out.includes('Ctrl-C stops the fakes'), 30_000, 100);
  return { banner: out, wecomPort, child };
}

/** The sample of the banner: its environment line and its `init --yes` flags. */
export function sample(banner: string): { env: Record<string, string>; initArgs: string[] } {
  const exportLine = /^ {2}export (.+)$/m.exec(banner)![1]!;
  const env = Object.fromEntries(exportLine.split(' ').map((kv) => kv.split('=') as [string, string]));
  const initLine = /^ {2}npx wxcoze (init --yes .+)$/m.exec(banner)![1]!;
  return { env, initArgs: initLine.split(' ') };
}

/** init as the sample says (on loopback here, and a free port), then start --daemon; returns the environment. */
export async function initAndStart(banner: string): Promise<Record<string, string>> {
  const s = sample(banner);
  const dataDir = tempDir();
  dataDirs.push(dataDir);
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir, ...s.env });
  const args = s.initArgs.map((a) => (a === '0.0.0.0' ? '127.0.0.1' : a));
  const init = await cli([...args, '--port', String(await freePort())], env);
  assert.equal(init.exitCode, 0, init.out);
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  return env;
}
