import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

/** A private, throw-away redis-server this test started (never the shared one), and how to stop it. */
export interface PrivateRedis {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** A TCP port free right now on loopback. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `redis-server` on a free port without persistence, configured by command-line `args` (e.g.
 * `['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']`), and waits until it answers. For tests that
 * need a server setting the shared Redis must keep as it is.
 */
export async function startPrivateRedis(args: readonly string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  let up = false;
  // Connecting is the readiness check: one fresh client per attempt, until it answers or the process exits.
  for (let i = 0; i < 200 && !up && child.exitCode === null; i++) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.close();
      up = true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  if (!up) {
    child.kill('SIGTERM');
    throw new Error(`redis-server did not start on port ${port}`);
  }
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
