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

/**
 * The headers an outgoing message will carry: a copy of its own, made when the propagator sets the first
 * header. `headers` stays undefined when nothing was injected (no propagator), so the message can go on
 * untouched.
 */
export class OutgoingHeaders {
  headers: Record<string, HeaderValue> | undefined = undefined;

  constructor(private readonly original: HeaderCarrier | undefined) {}

  /** Sets one header on the copy. */
  set(key: string, value: string): void {
    (this.headers ??= { ...this.original })[key] = value;
  }
}

/** Writes trace context into an {@link OutgoingHeaders}. */
export const headerSetter: TextMapSetter<OutgoingHeaders> = {
  set: (carrier, key, value) => carrier.set(key, value),
};
