/** A message for logs from any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The AMQP reply code the broker closed a channel or connection with (e.g. 406 PRECONDITION_FAILED),
 * which amqplib puts on its errors as `code`; `undefined` for client-side failures such as a lost connection.
 */
export function amqpReplyCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'number' ? error.code : undefined;
}

/**
 * The exchange named by a broker's 404 "NOT_FOUND - no exchange 'x' in vhost 'v'", which is how
 * RabbitMQ answers a publish to an exchange that does not exist (by closing the channel).
 */
export function missingExchangeName(error: unknown): string | undefined {
  if (amqpReplyCode(error) !== 404) return undefined;
  return /no exchange '([^']*)'/.exec(errorMessage(error))?.[1];
}
