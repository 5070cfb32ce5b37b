/**
 * A TCP proxy in front of a shared server (MariaDB) that a test can cut and restore, so "the
 * database is down" is tested without stopping the machine's shared server.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Every connection is dropped and new ones are closed at once (the server is unreachable). */
  cut(): void;
  /** Connections are accepted but nothing is forwarded (the server hangs). */
  blackhole(): void;
  /** Forward again. */
  restore(): void;
  close(): Promise<void>;
}

export function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'forward' | 'cut' | 'blackhole' = 'forward';
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (mode === 'cut') return client.destroy();
    if (mode === 'blackhole') return; // held open, never answered
    const up = connect(targetPort, targetHost);
    track(up);
    up.on('close', () => client.destroy());
    client.on('close', () => up.destroy());
    client.pipe(up);
    up.pipe(client);
  });
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        cut() {
          mode = 'cut';
          dropAll();
        },
        blackhole() {
          mode = 'blackhole';
          dropAll();
        },
        restore() {
          mode = 'forward';
          dropAll(); // held (blackholed) connections go; clients reconnect through the proxy
        },
        close() {
          dropAll();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}
