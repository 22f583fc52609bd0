/** The command-line interface, runnable in-process (`runCli`) as well as through the package's `bin`. */
export { runCli, EXIT } from './cli.runner.js';
export { parseCliArgs, CliUsageError, USAGE, CLI_NAME, type CliCommand, type CliCommon } from './cli.args.js';
export { processIo, cliLogger, type CliIo } from './cli.output.js';
export { parseDuration } from './duration.parser.js';
export { escapeControls, escapeOutput, jsonText } from './cli.escape.js';
