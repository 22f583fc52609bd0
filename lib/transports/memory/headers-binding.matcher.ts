import type { ArgumentValue } from '../../topology/index.js';
import type { HeaderValue } from '../transport.interface.js';

/** The `x-match` modes of a headers binding. The `-with-x` forms also compare `x-` prefixed arguments. */
export type HeadersMatchMode = 'all' | 'any' | 'all-with-x' | 'any-with-x';

const MODES: readonly HeadersMatchMode[] = ['all', 'any', 'all-with-x', 'any-with-x'];

/**
 * The binding's `x-match` mode (`all` when absent), or `undefined` when the value is not one RabbitMQ
 * accepts, in which case the broker refuses the binding.
 */
export function headersMatchMode(args: Readonly<Record<string, ArgumentValue>> | undefined): HeadersMatchMode | undefined {
  const mode = args?.['x-match'];
  if (mode === undefined) return 'all';
  return MODES.find((m) => m === mode);
}

/**
 * Whether a message's headers satisfy a headers-exchange binding, following RabbitMQ:
 * - `x-match` itself never takes part, other `x-` arguments only in the `-with-x` modes;
 * - a binding argument whose value is `null` (AMQP void) only requires the header to be present;
 * - otherwise the header must hold the same value of the same type;
 * - `all` with nothing to compare matches everything, `any` with nothing to compare matches nothing.
 */
export function matchesHeaders(
  args: Readonly<Record<string, ArgumentValue>> | undefined,
  headers: Readonly<Record<string, HeaderValue>> | undefined,
): boolean {
  const mode = headersMatchMode(args) ?? 'all';
  const withX = mode.endsWith('-with-x');
  const requireAll = mode.startsWith('all');
  const required = Object.entries(args ?? {}).filter(([key]) => key !== 'x-match' && (withX || !key.startsWith('x-')));
  const matches = ([key, expected]: [string, ArgumentValue]): boolean => {
    if (!headers || !Object.hasOwn(headers, key)) return false;
    const actual = headers[key];
    // amqplib leaves undefined headers out of the wire table, so they count as absent.
    if (actual === undefined) return false;
    return expected === null || actual === expected;
  };
  return requireAll ? required.every(matches) : required.some(matches);
}
