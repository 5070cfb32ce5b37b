/**
 * Where wxcoze listens and how WeCom gets there: loopback (only this machine: a proxy such as Caddy must
 * be in front) or all interfaces (WeCom calls http://<public IP>:<port> directly). Shared by `init`,
 * which offers the choice, and doctor's reachability check.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** True when only this machine can connect to `host`: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (h.startsWith('::ffff:') && isIPv4(h.slice(7))) return h.slice(7).startsWith('127.');
  if (isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** The address to listen on when WeCom calls this server directly, without a proxy in front. */
export const ALL_INTERFACES = '0.0.0.0';

/** True for a URL whose host is this machine (e.g. the fakes' WECOM_API_BASE). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

const PRIVATE_V4 = [
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^169\.254\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^127\./,
];

/**
 * This machine's public IPv4 address when one of its interfaces has it; undefined behind NAT (most
 * clouds give the VM a private address and map the public one: the cloud console shows it).
 */
export function publicAddressGuess(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !PRIVATE_V4.some((re) => re.test(a.address)))
        return a.address;
    }
  }
  return undefined;
}

/** The callback URL WeCom calls when wxcoze listens on all interfaces, and a note saying what must be open. */
export function directCallbackUrl(port: number): { url: string; guessed: boolean } {
  const ip = publicAddressGuess();
  return { url: `http://${ip ?? "<this server's public IP>"}:${port}/wechat/hook`, guessed: Boolean(ip) };
}

export function firewallNote(port: number): string {
  return `WeCom must reach port ${port} from the internet: open ${port}/tcp in this server's firewall (\`sudo ufw allow ${port}/tcp\`) and in the cloud provider's security group (安全组).`;
}
