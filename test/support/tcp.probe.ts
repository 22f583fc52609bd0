import { Socket } from 'node:net';

/** Whether something accepts TCP connections at the host and port of `url` (`defaultPort` when it names none). */
export function probeTcp(url: string, defaultPort: number, timeoutMs = 1500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return probeTcpPort(hostname || '127.0.0.1', Number(port || defaultPort), timeoutMs);
}

/** Whether something accepts TCP connections at `host`:`port` within `timeoutMs`. */
export function probeTcpPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}
