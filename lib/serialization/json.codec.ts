import { MessageDecodeError, MessageEncodeError } from '../errors/index.js';

/** Content type this library writes and expects. */
export const JSON_CONTENT_TYPE = 'application/json';

/** Serializes a payload to a UTF-8 JSON body. */
export function encodeJson(payload: unknown): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (error) {
    throw new MessageEncodeError((error as Error).message, { cause: error });
  }
  if (text === undefined) {
    throw new MessageEncodeError(`a ${typeof payload} cannot be serialized to JSON`);
  }
  return Buffer.from(text, 'utf8');
}

/**
 * Parses a JSON body. A body declaring another content type is refused rather than guessed at, so a
 * stray binary message is dead-lettered with a precise reason instead of failing validation oddly.
 */
export function decodeJson(body: Buffer, contentType: string | undefined): unknown {
  // The exact type this library writes skips the pattern: this runs once per consumed message.
  if (contentType && contentType !== JSON_CONTENT_TYPE && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new MessageDecodeError(`unsupported content type "${contentType}" (expected ${JSON_CONTENT_TYPE})`);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new MessageDecodeError(`body is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}
