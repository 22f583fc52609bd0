import type { LoggerService } from '@nestjs/common';
import { createInterface } from 'node:readline/promises';

/**
 * Where the CLI writes and asks. The only code of the package that touches the process's streams: the
 * library itself logs through Nest's Logger, and everything else in the CLI goes through this interface
 * (which is also what lets tests run commands in-process).
 */
export interface CliIo {
  /** Results, on standard output. */
  out(text: string): void;
  /** Diagnostics, on standard error. */
  err(text: string): void;
  /** Whether a person can answer a question (standard input is a terminal). */
  readonly interactive: boolean;
  /** Asks a question on the terminal and resolves with the answer. */
  ask(question: string): Promise<string>;
}

/** The real process streams. */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    interactive: process.stdin.isTTY === true,
    ask: async (question) => {
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await prompt.question(question);
      } finally {
        prompt.close();
      }
    },
  };
}

/**
 * A Nest logger for the CLI: warnings and errors on standard error, the rest only with `--verbose`, so
 * standard output carries nothing but results (and stays parseable with `--json`).
 */
export function cliLogger(io: CliIo, verbose: boolean): LoggerService {
  const line = (level: string, message: unknown, context: unknown[]): void => {
    const where = typeof context[context.length - 1] === 'string' ? ` [${String(context[context.length - 1])}]` : '';
    io.err(`${level}${where} ${String(message)}`);
  };
  return {
    log: (message, ...context) => (verbose ? line('log', message, context) : undefined),
    warn: (message, ...context) => line('warn', message, context),
    error: (message, ...context) => line('error', message, context),
    debug: (message, ...context) => (verbose ? line('debug', message, context) : undefined),
    verbose: (message, ...context) => (verbose ? line('verbose', message, context) : undefined),
  };
}
