import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
