import { parseArgs } from 'node:util';
import type { RedriveSelection } from '../dead-letters/index.js';
import { parseDuration } from './duration.parser.js';

/** The CLI's name, as installed by the package's `bin`. */
export const CLI_NAME = 'nestjs-typed-messaging';

/** The `--help` text. */
export const USAGE = `Usage: ${CLI_NAME} dlq <command> <queue> [options]

Inspect, redrive and purge RabbitMQ dead-letter queues written by nestjs-typed-messaging.

Commands:
  dlq list <queue> [--offset n] [--limit n]     List messages (head first) without consuming them
  dlq peek <queue> <messageId>                  Show one message in full
  dlq redrive <queue> <selection> [--to <queue>...] [--dry-run]
                                                Move messages back to the queue they failed on
      selection: --all | --id <id> [--id <id>...] | any of
                 --kind <failure kind> --consumer <name> --type <message type>
                 --reason <text> --older-than <duration, e.g. 90s, 10m, 2h, 1d>
      --to <queue>: a queue messages may go back to (repeatable). Without it only
                 <name> for <name>.error; other recorded origins are refused and left
  dlq purge <queue> [--yes]                     Delete every ready message (asks unless --yes)

Broker URL: from $AMQP_URL, or from a file (--url-file), never with its password on the command line,
where every user of the machine can read it (ps). The password is never printed.

Options:
  --url-file <path>         Read the broker URL from this file's first line (keep it mode 600)
  --url <amqp url>          Broker URL without a password (refused with one: use AMQP_URL or --url-file)
  --connection-name <name>  Connection name shown by the broker (default: ${CLI_NAME}-cli)
  --timeout <ms>            Connect timeout (default 10000)
  --json                    Machine-readable output
  --verbose                 Log connection events on standard error
  -h, --help                Show this help

Exit codes: 0 success; 1 failure (including messages a redrive had to leave); 2 usage error.
`;

/** The command line could not be understood; the CLI prints it with the usage and exits with 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Options every command shares. */
export interface CliCommon {
  /** From `--url` (never with a password) or `AMQP_URL`; `undefined` with `--url-file`. */
  readonly url: string | undefined;
  /** `--url-file`: the broker URL is read from this file when the command runs. */
  readonly urlFile?: string | undefined;
  readonly connectionName: string;
  readonly timeoutMs: number;
  readonly json: boolean;
  readonly verbose: boolean;
}

/** A parsed command line. */
export type CliCommand =
  | { readonly name: 'help' }
  | ({ readonly name: 'list'; readonly queue: string; readonly offset: number; readonly limit: number } & CliCommon)
  | ({ readonly name: 'peek'; readonly queue: string; readonly messageId: string } & CliCommon)
  | ({ readonly name: 'redrive'; readonly queue: string; readonly selection: RedriveSelection; readonly dryRun: boolean; readonly to: readonly string[] } & CliCommon)
  | ({ readonly name: 'purge'; readonly queue: string; readonly yes: boolean } & CliCommon);

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new CliUsageError(`--${name} must be a non-negative integer, got "${text}"`);
  return value;
}

/**
 * Parses the arguments after the executable.
 * @throws CliUsageError for unknown commands or options, missing arguments and bad values.
 */
export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        url: { type: 'string' },
        'url-file': { type: 'string' },
        'connection-name': { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        offset: { type: 'string' },
        limit: { type: 'string' },
        all: { type: 'boolean' },
        id: { type: 'string', multiple: true },
        kind: { type: 'string' },
        consumer: { type: 'string' },
        type: { type: 'string' },
        reason: { type: 'string' },
        'older-than': { type: 'string' },
        'dry-run': { type: 'boolean' },
        to: { type: 'string', multiple: true },
        yes: { type: 'boolean', short: 'y' },
      },
    });
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals.length === 0) return { name: 'help' };
  const [group, command, queue, ...rest] = positionals;
  if (group !== 'dlq') throw new CliUsageError(`Unknown command "${group}"`);
  if (!queue) throw new CliUsageError(`dlq ${command ?? '<command>'} needs a queue name`);
  const urlFile = v['url-file'];
  if (urlFile !== undefined && v.url !== undefined) throw new CliUsageError('Pass either --url or --url-file, not both');
  if (v.url !== undefined && hasPassword(v.url)) {
    throw new CliUsageError(
      '--url carries a password, which every user of this machine can read in the process list (ps); ' +
        'set AMQP_URL or put the URL in a file passed with --url-file instead',
    );
  }
  const common: CliCommon = {
    url: urlFile === undefined ? (v.url ?? env['AMQP_URL']) : undefined,
    urlFile,
    connectionName: v['connection-name'] ?? `${CLI_NAME}-cli`,
    timeoutMs: count('timeout', v.timeout, 10_000),
    json: v.json === true,
    verbose: v.verbose === true,
  };
  const extra = command === 'peek' ? rest.slice(1) : rest;
  if (extra.length > 0) throw new CliUsageError(`Unexpected argument "${extra[0]}"`);
  switch (command) {
    case 'list':
      return { name: 'list', queue, offset: count('offset', v.offset, 0), limit: count('limit', v.limit, 50), ...common };
    case 'peek':
      if (!rest[0]) throw new CliUsageError('dlq peek needs a message id');
      return { name: 'peek', queue, messageId: rest[0], ...common };
    case 'redrive':
      return { name: 'redrive', queue, selection: selection(v), dryRun: v['dry-run'] === true, to: v.to ?? [], ...common };
    case 'purge':
      return { name: 'purge', queue, yes: v.yes === true, ...common };
    default:
      throw new CliUsageError(`Unknown dlq command "${command ?? ''}"`);
  }
}

/** Whether a URL has a password; an unparseable one counts when it has `user:secret@` in it. */
function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return /\/\/[^/@]*:[^/@]*@/.test(url);
  }
}

interface SelectionFlags {
  all?: boolean;
  id?: string[];
  kind?: string;
  consumer?: string;
  type?: string;
  reason?: string;
  'older-than'?: string;
}

function selection(v: SelectionFlags): RedriveSelection {
  const olderThan = v['older-than'];
  const olderThanMs = olderThan === undefined ? undefined : parseDuration(olderThan);
  if (olderThan !== undefined && olderThanMs === undefined) throw new CliUsageError(`--older-than "${olderThan}" is not a duration such as 10m`);
  const filters = { kind: v.kind, consumer: v.consumer, type: v.type, reason: v.reason, olderThanMs };
  const hasFilter = Object.values(filters).some((value) => value !== undefined);
  const ways = [v.all === true, v.id !== undefined, hasFilter].filter(Boolean).length;
  if (ways !== 1) throw new CliUsageError('dlq redrive needs exactly one selection: --all, --id <id>..., or filters');
  if (v.all) return { all: true };
  if (v.id) return { ids: v.id };
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)) as RedriveSelection;
}
