import type { WxcozeConfig } from './types.js';

/** Where an operator opens the console: https://<domain>/admin behind Caddy, else the listen address. */
export function consoleUrl(config: WxcozeConfig): string {
  if (config.domain) return `https://${config.domain}${config.console.path}`;
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}${config.console.path}`;
}
