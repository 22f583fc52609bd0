import { readFile, stat } from 'node:fs/promises';
import { CliUsageError, type CliCommon } from './cli.args.js';
import type { CliIo } from './cli.output.js';

/**
 * The broker URL a command connects with: read from `--url-file` when given (its first non-empty line,
 * trimmed), else `--url` / `AMQP_URL` as parsed. A file others can read gets a warning, not a refusal: a
 * container secret mount may be group-readable by design.
 * @throws CliUsageError when the file cannot be read or holds no URL.
 */
export async function resolveBrokerUrl(common: CliCommon, io: CliIo): Promise<string | undefined> {
  const file = common.urlFile;
  if (file === undefined) return common.url;
  let content: string;
  try {
    const mode = (await stat(file)).mode & 0o777;
    if ((mode & 0o077) !== 0) io.err(`warning: ${file} is readable by other users (mode ${mode.toString(8)}); chmod 600 it`);
    content = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new CliUsageError(`cannot read --url-file ${file}: ${code}`);
  }
  const url = content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '');
  if (url === undefined) throw new CliUsageError(`--url-file ${file} holds no URL`);
  return url;
}
