import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A round-robin reverse proxy, standing in for the load balancer in front of several instances:
 * each request goes to the next live target; a dead one answers 502 and WeCom retries.
 */
export function roundRobin(
  targets: () => string[],
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  let i = 0;
  const server = createServer((req, res) => {
    const list = targets();
    const target = new URL(list[i++ % list.length]!);
    const up = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end('instance down');
    });
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

/**
 * A forward HTTP proxy as a fixed-IP egress box would run one (CONNECT tunnels, what undici's
 * ProxyAgent speaks), recording each tunnel's target and the Proxy-Authorization it was given.
 */
export function connectProxy(): Promise<{
  url: string;
  tunnels: { target: string; auth: string | undefined }[];
  close: () => Promise<void>;
}> {
  const tunnels: { target: string; auth: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405);
    res.end('CONNECT only');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    for (const s of [up, client]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        tunnels,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}
