import { createServer } from 'node:net';
import { runningServer } from '../../lib/runstate.js';
import { type DoctorCheck, fail, pass } from '../types.js';

/** PORT can be listened on — or wxcoze itself is the one listening. */
export const portCheck: DoctorCheck = {
  id: 'port',
  title: 'port free',
  async run(ctx) {
    const { host, port } = ctx.config.server;
    const running = runningServer(ctx.config.dataDir);
    if (running?.info && running.info.port === port)
      return pass(this.title, `port ${port} is used by wxcoze itself (pid ${running.pid})`);
    if (port === 0) return pass(this.title, 'PORT=0: a free port is picked at start');
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const srv = createServer();
      srv.once('error', (e) => resolve(e));
      srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
    });
    if (!err) return pass(this.title, `${host}:${port} is free`);
    if (err.code === 'EADDRINUSE') {
      return fail(
        this.title,
        `${host}:${port} is used by another program`,
        `Find it with \`ss -ltnp 'sport = :${port}'\`; stop it (an older bridge?) or set PORT to a free port and run \`wxcoze init\` again so Caddy follows.`,
      );
    }
    if (err.code === 'EACCES')
      return fail(
        this.title,
        `no permission to listen on port ${port}`,
        'Ports below 1024 need root: use a port like 8000 (Caddy listens on 443 and forwards to it).',
      );
    if (err.code === 'EADDRNOTAVAIL')
      return fail(
        this.title,
        `${host} is not an address of this machine`,
        'Set WXCOZE_HOST to 127.0.0.1 (Caddy in front) or 0.0.0.0.',
      );
    return fail(
      this.title,
      `cannot listen on ${host}:${port} (${err.code ?? err.message})`,
      'Set PORT/WXCOZE_HOST to a usable address.',
    );
  },
};
