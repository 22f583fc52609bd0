import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { HeaderValue } from '../transports/transport.interface.js';

/** Message headers as a propagation carrier. */
export type HeaderCarrier = Readonly<Record<string, HeaderValue>>;

/** Reads trace context from message headers; AMQP clients may hand string headers over as Buffers. */
export const headerGetter: TextMapGetter<HeaderCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (typeof value === 'string') return value;
    return Buffer.isBuffer(value) ? value.toString() : undefined;
  },
};

/** Writes trace context into a fresh header record (merged into the message's headers afterwards). */
export const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
