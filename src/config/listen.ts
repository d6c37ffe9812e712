/**
 * `host:port` listen addresses (`[metrics] listen`), and whether they stay on
 * this machine. Pure.
 */

/** A parsed listen address; `host` is unbracketed ("::1", not "[::1]"). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/**
 * Parses "127.0.0.1:9090", "localhost:9090" or "[::1]:9090"; "0" means
 * disabled and returns undefined. Throws RangeError on anything else.
 */
export function parseListenAddress(listen: string): ListenAddress | undefined {
  if (listen === '0') return undefined;
  const m = HOST_PORT.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (m === null || port > 65_535) {
    throw new RangeError(`invalid listen address ${JSON.stringify(listen)}: expected host:port such as "127.0.0.1:9090", or "0" to disable`);
  }
  return { host: m[1] ?? m[2]!, port };
}

/** True for addresses that only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
