import { describeRedisUrl, openCoordinator } from './index.js';

/** Which cache/lock service is configured, and whether it answers (for doctor and status). */
export async function probeCache(
  redisUrl: string | undefined,
  prefix?: string,
): Promise<{ kind: 'redis' | 'memory'; where: string; reachable: boolean; error?: string }> {
  if (!redisUrl) return { kind: 'memory', where: 'in-process (one instance)', reachable: true };
  const where = describeRedisUrl(redisUrl);
  const c = await openCoordinator(redisUrl, prefix);
  try {
    await c.ping();
    return { kind: 'redis', where, reachable: true };
  } catch (err) {
    return { kind: 'redis', where, reachable: false, error: (err as Error).message };
  } finally {
    await c.close();
  }
}
