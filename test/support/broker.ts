import { describe, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { promisify } from 'node:util';

/** The broker integration tests talk to; `AMQP_URL` overrides the local default. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** In CI (or with REQUIRE_BROKER=1) a missing broker is a failure, never a silent skip. */
export const BROKER_REQUIRED = process.env.REQUIRE_BROKER === '1' || process.env.CI === 'true';

function probe(url: string, timeoutMs = 1500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || 5672), hostname || '127.0.0.1', () => done(true));
  });
}

/** Probed once per test file, at load time, so `describeWithBroker` can choose describe or skip. */
export const brokerReachable: boolean = await probe(AMQP_URL);

if (!brokerReachable) {
  const line = '='.repeat(78);
  const text = BROKER_REQUIRED
    ? `RabbitMQ is NOT reachable at ${AMQP_URL} and a broker is required (CI/REQUIRE_BROKER): failing.`
    : `RabbitMQ is NOT reachable at ${AMQP_URL}: SKIPPING broker integration suites. Set AMQP_URL or start RabbitMQ.`;
  process.stderr.write(`\n${line}\n${text}\n${line}\n`);
}

/**
 * `describe` for suites that need the real broker: runs them when it answers, skips them loudly when it
 * does not, and fails outright when a broker is required.
 */
export function describeWithBroker(name: string, body: () => void): void {
  if (brokerReachable) {
    describe(name, body);
  } else if (BROKER_REQUIRED) {
    describe(name, () => {
      it('needs a reachable RabbitMQ broker', () => {
        throw new Error(`RabbitMQ is required (CI or REQUIRE_BROKER=1) but ${AMQP_URL} does not answer`);
      });
    });
  } else {
    describe.skip(`${name} [SKIPPED: no RabbitMQ at ${AMQP_URL}]`, body);
  }
}

/** A name no other test run uses, so suites never see each other's queues. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

const execFileAsync = promisify(execFile);

/**
 * Closes, from the broker side, the client connections whose `connection_name` is `connectionName`, as an
 * operator or a broker failover would. Only those: the broker may be shared with other test runs, whose
 * connections must survive. Uses `rabbitmqctl`, which is on the broker host (this machine in CI).
 *
 * @returns how many connections were closed.
 */
export async function closeConnectionsFromBroker(connectionName: string, reason = 'test: forced close'): Promise<number> {
  const { stdout } = await execFileAsync('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], {
    timeout: 30_000,
  });
  // One connection a line: `<rabbit@host.x.y.z>` TAB `[{"connection_name","..."},...]`. The JSON formatter
  // prints the pid in a form close_connection does not accept, hence the plain output.
  const marker = `{"connection_name","${connectionName}"}`;
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids) {
    await execFileAsync('rabbitmqctl', ['-q', 'close_connection', pid, reason], { timeout: 30_000 });
  }
  return pids.length;
}
