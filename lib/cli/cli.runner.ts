import { Logger } from '@nestjs/common';
import { DeadLetters, RedriveInterruptedError, type RedriveReport } from '../dead-letters/index.js';
import { AmqpTransport } from '../transports/amqp/index.js';
import { parseCliArgs, CliUsageError, USAGE, type CliCommand } from './cli.args.js';
import { resolveBrokerUrl } from './cli.credentials.js';
import { escapeControls, escapingIo, jsonText } from './cli.escape.js';
import { formatMessage, formatPage, formatReport, messageJson } from './cli.format.js';
import { cliLogger, type CliIo } from './cli.output.js';

/** Exit codes: success, failure, usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

type DlqCommand = Exclude<CliCommand, { name: 'help' }>;

/**
 * Runs the CLI on an argument list and resolves with the exit code. Works straight on RabbitMQ through an
 * `AmqpTransport` of its own (no topology declared) and the same {@link DeadLetters} the module provides.
 */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, rawIo: CliIo): Promise<number> {
  // Everything printed may quote text from messages, the broker or the command line: escape it all.
  const io = escapingIo(rawIo);
  let command: CliCommand;
  let url: string | undefined;
  try {
    command = parseCliArgs(argv, env);
    url = command.name === 'help' ? undefined : await resolveBrokerUrl(command, io);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    io.err(`${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (command.name === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (!url) {
    io.err(`No broker URL: set AMQP_URL or pass --url-file\n\n${USAGE}`);
    return EXIT.usage;
  }
  Logger.overrideLogger(cliLogger(io, command.verbose));
  const transport = new AmqpTransport({
    urls: url,
    connectionName: command.connectionName,
    connectTimeoutMs: command.timeoutMs,
    closeTimeoutMs: command.timeoutMs,
  });
  try {
    await transport.start({});
    return await execute(command, new DeadLetters(transport), io);
  } catch (error) {
    if (error instanceof RedriveInterruptedError) printReport(command, error.report, io);
    // Transport errors name the broker with its password masked; nothing here prints the URL itself.
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failure;
  } finally {
    await transport.close();
  }
}

async function execute(command: DlqCommand, deadLetters: DeadLetters, io: CliIo): Promise<number> {
  switch (command.name) {
    case 'list': {
      const page = await deadLetters.list(command.queue, { offset: command.offset, limit: command.limit });
      io.out(command.json ? jsonText(page) : formatPage(page));
      return EXIT.ok;
    }
    case 'peek': {
      const message = await deadLetters.peek(command.queue, command.messageId);
      if (!message) {
        io.err(`No message "${escapeControls(command.messageId)}" in ${escapeControls(command.queue)}`);
        return EXIT.failure;
      }
      io.out(command.json ? jsonText(messageJson(message)) : formatMessage(message));
      return EXIT.ok;
    }
    case 'redrive': {
      const report = await deadLetters.redrive(command.queue, { ...command.selection, dryRun: command.dryRun, ...(command.to.length > 0 ? { to: command.to } : {}) });
      printReport(command, report, io);
      return report.failed.length > 0 || report.unresolved.length > 0 || report.refused.length > 0 ? EXIT.failure : EXIT.ok;
    }
    case 'purge':
      return purge(command, deadLetters, io);
  }
}

async function purge(command: Extract<DlqCommand, { name: 'purge' }>, deadLetters: DeadLetters, io: CliIo): Promise<number> {
  let confirm = command.yes ? command.queue : undefined;
  if (confirm === undefined) {
    if (!io.interactive) {
      io.err('Refusing to purge without --yes: standard input is not a terminal');
      return EXIT.usage;
    }
    confirm = (await io.ask(`Purge every ready message of "${escapeControls(command.queue)}"? Type the queue name to confirm: `)).trim();
    if (confirm !== command.queue) {
      io.err('Not confirmed; nothing was purged');
      return EXIT.failure;
    }
  }
  const removed = await deadLetters.purge(command.queue, { confirm });
  io.out(command.json ? jsonText({ queue: command.queue, purged: removed }) : `${escapeControls(command.queue)}: purged ${removed} message(s)`);
  return EXIT.ok;
}

function printReport(command: DlqCommand, report: RedriveReport, io: CliIo): void {
  io.out(command.json ? jsonText(report) : formatReport(report));
}
