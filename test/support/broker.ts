import { describe, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { probeTcp } from './tcp.probe.js';
import { promisify } from 'node:util';

/** The broker integration tests talk to; `AMQP_URL` overrides the local default. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** In CI (or with REQUIRE_BROKER=1) a missing broker is a failure, never a silent skip. */
export const BROKER_REQUIRED = process.env.REQUIRE_BROKER === '1' || process.env.CI === 'true';


/** Probed once per test file, at load time, so `describeWithBroker` can choose describe or skip. */
export const brokerReachable: boolean = await probeTcp(AMQP_URL, 5672);

/** `AMQP_URL` with its password masked, for anything printed. */
export const AMQP_URL_REDACTED = AMQP_URL.replace(/^(amqps?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');

if (!brokerReachable) {
  const line = '='.repeat(78);
  const text = BROKER_REQUIRED
    ? `RabbitMQ is NOT reachable at ${AMQP_URL_REDACTED} and a broker is required (CI/REQUIRE_BROKER): failing.`
    : `RabbitMQ is NOT reachable at ${AMQP_URL_REDACTED}: SKIPPING broker integration suites. Set AMQP_URL or start RabbitMQ.`;
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
        throw new Error(`RabbitMQ is required (CI or REQUIRE_BROKER=1) but ${AMQP_URL_REDACTED} does not answer`);
      });
    });
  } else {
    describe.skip(`${name} [SKIPPED: no RabbitMQ at ${AMQP_URL_REDACTED}]`, body);
  }
}

/** A name no other test run uses, so suites never see each other's queues. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

const execFileAsync = promisify(execFile);

/**
 * The RabbitMQ node behind `AMQP_URL`, for `rabbitmqctl -n`. Set `AMQP_NODE` when `AMQP_URL` points at a
 * node other than this machine's default one (e.g. a private node started on another port).
 */
export const AMQP_NODE: string | undefined = process.env.AMQP_NODE || undefined;

/** Runs `rabbitmqctl` against the node of `AMQP_URL` and returns its standard output. */
export async function rabbitmqctl(args: readonly string[]): Promise<string> {
  const node = AMQP_NODE ? ['-n', AMQP_NODE] : [];
  const { stdout } = await execFileAsync('rabbitmqctl', [...node, '-q', ...args], { timeout: 30_000 });
  return stdout;
}

/** Which of a transport's connections {@link closeConnectionsFromBroker} closes. */
export type TransportConnections = 'all' | 'main' | 'consume';

/**
 * Closes, from the broker side, the client connections of a transport named `connectionName`, as an
 * operator or a failover would: by default both its main connection (`connectionName`) and its
 * consumers' own (`connectionName:consume`); `which` picks one. Only those: the broker is shared with
 * other clients and test runs. Resolves with how many were closed.
 */
export async function closeConnectionsFromBroker(
  connectionName: string,
  reason = 'test: forced close',
  which: TransportConnections = 'all',
): Promise<number> {
  // Plain output, one connection per line: `<pid>\t[{"connection_name","..."},...]`. The JSON formatter
  // prints pids in a form close_connection does not accept.
  const listing = await rabbitmqctl(['list_connections', 'pid', 'client_properties', '--no-table-headers']);
  const names = { all: [connectionName, `${connectionName}:consume`], main: [connectionName], consume: [`${connectionName}:consume`] }[which];
  const lines = listing.split('\n');
  let closed = 0;
  // The consumers' connection first: cut while the main one still publishes, deliveries are in flight
  // (closing the main one first would stop the stream and leave the consumers idle by their turn).
  for (const name of names.reverse()) {
    const marker = `{"connection_name",${JSON.stringify(name)}}`;
    const pids = lines.filter((line) => line.includes(marker)).map((line) => line.split('\t')[0]);
    await Promise.all(pids.map((pid) => rabbitmqctl(['close_connection', pid, reason])));
    closed += pids.length;
  }
  return closed;
}
