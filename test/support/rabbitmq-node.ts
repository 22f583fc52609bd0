import { describe, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { probeTcpPort } from './tcp.probe.js';

const execFileAsync = promisify(execFile);

/**
 * Every private node of this run lives under this directory, one sub-directory per node.
 * `.ci/run` points `NTM_PRIVATE_NODES_DIR` at a directory of its own and, when it exits, kills whatever
 * node is still running from there, so a crashed run never leaves a broker behind (and never touches a
 * parallel run's nodes).
 */
export const PRIVATE_NODES_ROOT = process.env.NTM_PRIVATE_NODES_DIR || '/tmp/nestjs-typed-messaging-nodes';

const RABBITMQ_HOME = '/var/lib/rabbitmq';
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** Why private nodes cannot run here, or `undefined` when they can (root, rabbitmq-server installed). */
export function privateNodesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'private RabbitMQ nodes need root (they run as the rabbitmq user)';
  if (!existsSync(RABBITMQ_SERVER)) return `${RABBITMQ_SERVER} is not installed`;
  if (!existsSync(`${RABBITMQ_HOME}/.erlang.cookie`)) return `${RABBITMQ_HOME}/.erlang.cookie is missing`;
  return undefined;
}

/** A TCP port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True once something accepts TCP connections on the port. */
export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return probeTcpPort('127.0.0.1', port, timeoutMs);
}

/** Extra `rabbitmq.conf` lines, e.g. a TLS listener. */
export interface PrivateNodeOptions {
  /** Short prefix of the node name; a random suffix keeps parallel runs apart. */
  readonly prefix: string;
  /** Lines appended to the node's rabbitmq.conf (`{tlsPort}` is replaced by the TLS port). */
  readonly extraConfig?: readonly string[];
  /** Allocate a second port for a TLS listener. */
  readonly tls?: boolean;
  /** Plugins to enable (none by default: nothing binds the management port). */
  readonly plugins?: readonly string[];
}

/**
 * One RabbitMQ node of its own, on free loopback ports, as the rabbitmq user (so `rabbitmqctl -n` can
 * drive it with the shared Erlang cookie). It can be stopped, restarted, crashed and alarmed without
 * touching the machine's shared broker. Always `destroy()` it, in an `afterAll`.
 */
export class PrivateRabbitNode {
  readonly name: string;
  readonly dir: string;
  private started = false;

  private constructor(
    readonly options: PrivateNodeOptions,
    readonly port: number,
    readonly distPort: number,
    readonly tlsPort: number | undefined,
  ) {
    this.name = `${options.prefix}${process.pid}${randomBytes(3).toString('hex')}@localhost`;
    this.dir = `${PRIVATE_NODES_ROOT}/${this.name.split('@')[0]}`;
  }

  /** Allocates ports and writes the node's files; `start()` boots it. */
  static async create(options: PrivateNodeOptions): Promise<PrivateRabbitNode> {
    const node = new PrivateRabbitNode(options, await freePort(), await freePort(), options.tls ? await freePort() : undefined);
    await node.writeFiles();
    return node;
  }

  /** The TLS listener's port. */
  get tlsListenerPort(): number {
    if (this.tlsPort === undefined) throw new Error(`${this.name} has no TLS listener`);
    return this.tlsPort;
  }

  /** Gives the node's files (certificates written later included) to the rabbitmq user. */
  async chown(): Promise<void> {
    await chownTree(this.dir);
  }

  /** `amqp://guest:guest@127.0.0.1:<port>` (guest works on loopback). */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  /** Boots the node (again, after a stop or a crash, on the same data) and waits until it accepts AMQP. */
  async start(timeoutMs = 90_000): Promise<void> {
    const env = [
      `HOME=${RABBITMQ_HOME}`,
      `RABBITMQ_CONF_ENV_FILE=${this.dir}/rabbitmq-env.conf`,
      `RABBITMQ_NODENAME=${this.name}`,
      'RABBITMQ_NODE_IP_ADDRESS=127.0.0.1',
      `RABBITMQ_NODE_PORT=${this.port}`,
      `RABBITMQ_DIST_PORT=${this.distPort}`,
      `RABBITMQ_MNESIA_BASE=${this.dir}/mnesia`,
      `RABBITMQ_LOG_BASE=${this.dir}/log`,
      `RABBITMQ_PID_FILE=${this.dir}/pid`,
      `RABBITMQ_CONFIG_FILE=${this.dir}/rabbitmq.conf`,
      `RABBITMQ_ENABLED_PLUGINS_FILE=${this.dir}/enabled_plugins`,
      `RABBITMQ_PLUGINS_EXPAND_DIR=${this.dir}/plugins-expand`,
      `ERL_FLAGS='-kernel inet_dist_use_interface {127,0,0,1}'`,
    ];
    const script = `cd ${RABBITMQ_HOME} && export ${env.join(' ')}; ${RABBITMQ_SERVER} -detached`;
    this.started = true;
    await execFileAsync('su', ['rabbitmq', '-s', '/bin/sh', '-c', script], { timeout: 30_000 });
    await this.waitForPort(timeoutMs);
  }

  /** Waits until the AMQP port answers and the node reports itself running. */
  async waitForPort(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await portOpen(this.port))) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not open port ${this.port} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** `rabbitmq-queues -n <this node> -q ...args` (quorum queue membership). */
  async queues(args: readonly string[], timeoutMs = 60_000): Promise<string> {
    const { stdout } = await execFileAsync('rabbitmq-queues', ['-n', this.name, '-q', ...args], { timeout: timeoutMs });
    return stdout;
  }

  /** `rabbitmqctl -n <this node> -q ...args`. */
  async ctl(args: readonly string[], timeoutMs = 60_000): Promise<string> {
    const { stdout } = await execFileAsync('rabbitmqctl', ['-n', this.name, '-q', ...args], { timeout: timeoutMs });
    return stdout;
  }

  /** The beam.smp pid, checked to belong to this node before anyone signals it. */
  async pid(): Promise<number | undefined> {
    let pid: number;
    try {
      pid = Number((await readFile(`${this.dir}/pid`, 'utf8')).trim());
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
      return environ.includes(`RABBITMQ_NODENAME=${this.name}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** `kill -9` of the node's VM: a crash. Resolves once the AMQP port is closed. */
  async crash(): Promise<void> {
    const pid = await this.pid();
    if (pid === undefined) throw new Error(`${this.name}: no running VM to kill`);
    process.kill(pid, 'SIGKILL');
    while (await portOpen(this.port, 200)) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  /** Clean stop of the whole VM (`rabbitmqctl stop`). */
  async stop(): Promise<void> {
    await this.ctl(['stop']);
  }

  /** Stops the node for good (cleanly, else by kill) and removes its directory. Never throws. */
  async destroy(): Promise<void> {
    if (this.started) {
      await this.ctl(['stop'], 20_000).catch(() => undefined);
      const pid = await this.pid();
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private async writeFiles(): Promise<void> {
    // The node runs as the rabbitmq user, which must be able to traverse the root.
    await mkdir(PRIVATE_NODES_ROOT, { recursive: true, mode: 0o755 });
    await chmod(PRIVATE_NODES_ROOT, 0o755);
    await mkdir(`${this.dir}/mnesia`, { recursive: true });
    await mkdir(`${this.dir}/log`, { recursive: true });
    const config = [`listeners.tcp.local = 127.0.0.1:${this.port}`];
    if (this.tlsPort !== undefined) config.push(`listeners.ssl.local = 127.0.0.1:${this.tlsPort}`);
    for (const line of this.options.extraConfig ?? []) config.push(line.replace('{tlsPort}', String(this.tlsPort)).replaceAll('{dir}', this.dir));
    await writeFile(`${this.dir}/rabbitmq.conf`, `${config.join('\n')}\n`);
    // No management plugin: nothing binds 15672, which the machine's own broker may use.
    await writeFile(`${this.dir}/enabled_plugins`, `[${(this.options.plugins ?? []).join(',')}].\n`);
    await writeFile(`${this.dir}/rabbitmq-env.conf`, 'ERL_EPMD_ADDRESS=127.0.0.1\n');
    await chownTree(this.dir);
  }
}

/** `chown -R rabbitmq:rabbitmq`, so the node (running as rabbitmq) can write its data. */
export async function chownTree(dir: string): Promise<void> {
  await execFileAsync('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
}

/**
 * `describe` for suites that run their own RabbitMQ node(s): skipped loudly where that is impossible (not
 * root, no rabbitmq-server), failed outright in CI (`CI=true` or `REQUIRE_BROKER=1`).
 */
export function describeWithPrivateNodes(name: string, body: () => void): void {
  const why = privateNodesUnavailable();
  if (why === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true' || process.env.REQUIRE_BROKER === '1') {
    describe(name, () => {
      it('needs private RabbitMQ nodes', () => {
        throw new Error(`Private RabbitMQ nodes are required in CI but cannot run: ${why}`);
      });
    });
  } else {
    process.stderr.write(`SKIPPING "${name}": ${why}\n`);
    describe.skip(`${name} [SKIPPED: ${why}]`, body);
  }
}
