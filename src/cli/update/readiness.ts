/**
 * "The new version is up": a live server of this data directory whose run file names the expected
 * version, answering 200 on /readyz (store and cache answer, not draining) — or, on a version
 * without /readyz (404), on /ping. Polled until the time runs out; a server under systemd that
 * crashes and is restarted again and again never passes (its run file keeps changing hands, and it
 * never answers).
 */
import { readRunInfo, runningServer } from '../lib/runstate.js';

export interface ReadyProbe {
  /** The live server of the data directory: pid, url, version (from its run file). */
  server(): { pid: number; url?: string; version?: string } | undefined;
  /** HTTP status of a GET, or undefined when nothing answers. */
  get(url: string): Promise<number | undefined>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export type Ready =
  { ok: true; pid: number; url: string; path: '/readyz' | '/ping' } | { ok: false; why: string };

export function realReadyProbe(dataDir: string): ReadyProbe {
  return {
    server: () => {
      const r = runningServer(dataDir);
      const info = r && readRunInfo(dataDir);
      return (
        r && { pid: r.pid, ...(info && info.pid === r.pid ? { url: info.url, version: info.version } : {}) }
      );
    },
    // Node's own fetch, not undici from node_modules: npm has just replaced this install's files,
    // and a module loaded lazily now would come from the new version.
    async get(url) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return undefined;
      }
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: Date.now,
  };
}

export async function waitReady(probe: ReadyProbe, version: string, timeoutMs: number): Promise<Ready> {
  const deadline = probe.now() + timeoutMs;
  let last = `no wxcoze ${version} was running`;
  for (;;) {
    const s = probe.server();
    if (s && s.url && s.version === version) {
      const readyz = await probe.get(`${s.url}/readyz`);
      if (readyz === 200) return { ok: true, pid: s.pid, url: s.url, path: '/readyz' };
      if (readyz === 404) {
        const ping = await probe.get(`${s.url}/ping`);
        if (ping === 200) return { ok: true, pid: s.pid, url: s.url, path: '/ping' };
        last = `wxcoze ${version} (pid ${s.pid}) did not answer /ping at ${s.url}${ping ? ` (HTTP ${ping})` : ''}`;
      } else {
        last = `wxcoze ${version} (pid ${s.pid}) ${readyz ? `answered /readyz with HTTP ${readyz} (not ready: its store or cache does not answer)` : `did not answer at ${s.url}`}`;
      }
    } else if (s?.version && s.version !== version) {
      last = `the server running is version ${s.version}, not ${version}: does the service run this install?`;
    }
    if (probe.now() >= deadline)
      return { ok: false, why: `${last} within ${Math.round(timeoutMs / 1000)} s` };
    await probe.sleep(500);
  }
}
