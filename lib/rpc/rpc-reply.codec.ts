import { InvalidReplyError, RemoteError, type RemoteErrorDetails } from '../errors/index.js';
import { decodeJson, encodeJson, JSON_CONTENT_TYPE } from '../serialization/index.js';
import type { InboundMessage, ReplyMessage } from '../transports/transport.interface.js';

/** Header telling a success reply from an error reply; the body alone cannot, since `null` is a valid response. */
export const RPC_STATUS_HEADER = 'x-rpc-status';

/** A success reply carrying `value` as JSON (`undefined` travels as `null`). */
export function successReply(value: unknown): ReplyMessage {
  return { body: encodeJson(value === undefined ? null : value), properties: { contentType: JSON_CONTENT_TYPE, headers: { [RPC_STATUS_HEADER]: 'ok' } } };
}

/** An error reply: what the requester turns into a {@link RemoteError}. No stack: it would leak code layout. */
export function errorReply(details: RemoteErrorDetails): ReplyMessage {
  return { body: encodeJson(details), properties: { contentType: JSON_CONTENT_TYPE, headers: { [RPC_STATUS_HEADER]: 'error' } } };
}

/**
 * The decoded value of a success reply.
 * @throws RemoteError for an error reply; InvalidReplyError for a body that is not JSON.
 */
export function readReply(reply: InboundMessage, destination: string): unknown {
  let value: unknown;
  try {
    value = decodeJson(reply.body, reply.properties.contentType);
  } catch (error) {
    throw new InvalidReplyError(destination, (error as Error).message, { cause: error });
  }
  if (reply.properties.headers?.[RPC_STATUS_HEADER] !== 'error') return value;
  const details = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof RemoteErrorDetails, unknown>>;
  const text = (field: unknown, fallback: string): string => (typeof field === 'string' ? field : fallback);
  throw new RemoteError(destination, {
    name: text(details.name, 'Error'),
    message: text(details.message, 'the responder reported a failure without a message'),
    kind: text(details.kind, 'handler'),
    ...(typeof details.remoteCode === 'string' ? { remoteCode: details.remoteCode } : {}),
  });
}
