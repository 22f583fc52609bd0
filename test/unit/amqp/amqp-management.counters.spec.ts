import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { InvalidOptionsError } from '../../../lib/errors/index.js';
import { AmqpManagementCounters } from '../../../lib/transports/amqp/amqp-management.counters.js';

/** A logger that keeps its warnings. */
class KeptLogger extends Logger {
  readonly warnings: string[] = [];
  override warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

/** A stand-in for the management API answering every request with `respond`, recording each request. */
async function fakeApi(respond: (url: string) => { status: number; body: unknown }): Promise<{ server: Server; url: string; requests: Array<{ url: string; authorization: string | undefined }> }> {
  const requests: Array<{ url: string; authorization: string | undefined }> = [];
  const server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', authorization: request.headers.authorization });
    const { status, body } = respond(request.url ?? '');
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://monitor:s%40cret@127.0.0.1:${port}`, requests };
}

describe('AmqpManagementCounters', () => {
  it('reads message_stats.publish and .ack of the queue in the AMQP URL\'s vhost, with basic auth outside the URL', async () => {
    const api = await fakeApi(() => ({ status: 200, body: { messages_ready: 9, message_stats: { publish: 120, ack: 100, deliver_get: 110 } } }));
    try {
      const counters = new AmqpManagementCounters({ url: api.url }, 'amqp://u:p@rabbit:5672/billing%2Fprod', new KeptLogger());
      expect(await counters.read('orders.v1')).toEqual({ enqueued: 120, acknowledged: 100 });
      expect(api.requests[0]).toEqual({ url: '/api/queues/billing%2Fprod/orders.v1', authorization: `Basic ${Buffer.from('monitor:s@cret').toString('base64')}` });
    } finally {
      api.server.close();
    }
  });

  it('answers undefined (the monitor falls back) on an error status, logging each reason once and never the password', async () => {
    const api = await fakeApi(() => ({ status: 401, body: { error: 'not_authorised' } }));
    const logger = new KeptLogger();
    try {
      const counters = new AmqpManagementCounters({ url: api.url, vhost: '/' }, undefined, logger);
      expect(await counters.read('q')).toBeUndefined();
      expect(await counters.read('q')).toBeUndefined();
      expect(api.requests[0]?.url).toBe('/api/queues/%2F/q');
    } finally {
      api.server.close();
    }
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/HTTP 401/);
    expect(logger.warnings.join()).not.toMatch(/s%40cret|s@cret/);
  });

  it('refuses a management option that is not an http(s) URL, an unknown key or a bad timeout', () => {
    const logger = new KeptLogger();
    expect(() => new AmqpManagementCounters({ url: 'not a url' }, undefined, logger)).toThrow(InvalidOptionsError);
    expect(() => new AmqpManagementCounters({ url: 'amqp://rabbit:15672' }, undefined, logger)).toThrow(/must be http\(s\)/);
    expect(() => new AmqpManagementCounters({ url: 'http://rabbit:15672', timeoutMs: 0 }, undefined, logger)).toThrow(/timeoutMs/);
    expect(() => new AmqpManagementCounters({ url: 'http://rabbit:15672', port: 1 } as never, undefined, logger)).toThrow(/unknown option "management.port"/);
  });
});
