#!/usr/bin/env node
/** The `nestjs-typed-messaging` executable: dead-letter queue operations on RabbitMQ. See `--help`. */
import { runCli } from './cli.runner.js';
import { processIo } from './cli.output.js';

process.exitCode = await runCli(process.argv.slice(2), process.env, processIo());
