import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  Consumer,
  defineContract,
  FAILURE_HEADERS,
  MemoryTransport,
  MessageContext,
  MessagePublisher,
  MessagingModule,
  TopologyError,
  type ConsumerOptions,
  type QueueDefinition,
  type TopologyDefinition,
} from '../../../lib/index.js';
import { retriedDeadLetterProblems } from '../../../lib/topology/retried-dead-letter.check.js';

const Job = defineContract({ name: 'dlr.job', exchange: 'dlr.jobs', schema: z.object({ n: z.number().int() }) });
type JobPayload = z.infer<typeof Job.schema>;
const WORK = 'dlr.work';
const DEAD = 'dlr.dead';

/** WORK bound to `dlr.#`, dead-lettering to `dlx` (of `type`), whose queue DEAD is bound with `pattern`. */
function topologyWith(type: 'topic' | 'fanout', queue: Partial<QueueDefinition>, pattern = ''): TopologyDefinition {
  return {
    exchanges: [
      { name: 'dlr.jobs', type: 'topic' },
      { name: 'dlr.dlx', type },
    ],
    queues: [{ name: WORK, deadLetterExchange: 'dlr.dlx', ...queue }, { name: DEAD }],
    bindings: [
      { exchange: 'dlr.jobs', queue: WORK, routingKey: 'dlr.#' },
      { exchange: 'dlr.dlx', queue: DEAD, routingKey: pattern },
    ],
  };
}

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function start(topology: TopologyDefinition, behaviour: (ctx: MessageContext<JobPayload>, runs: number) => unknown, consumer: Partial<ConsumerOptions>) {
  const transport = new MemoryTransport();
  let runs = 0;
  @Injectable()
  class JobConsumer {
    @Consumer(Job, { queue: WORK, ...consumer })
    async handle(_payload: JobPayload, ctx: MessageContext<JobPayload>): Promise<unknown> {
      runs++;
      return behaviour(ctx, runs);
    }
  }
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology, shutdownTimeoutMs: 500 })],
    providers: [JobConsumer],
  }).compile();
  opened.push(app);
  await app.init();
  return { transport, runs: () => runs, publisher: app.get(MessagePublisher) };
}

const alwaysFail = (): never => {
  throw new Error('down');
};

describe('dead-lettering a message that came back from the delay line (memory)', () => {
  it('refuses at start a retrying queue whose topic dead-letter exchange has no deadLetterRoutingKey, naming queue and exchange', async () => {
    const failure = await start(topologyWith('topic', {}, 'dlr.#'), alwaysFail, { retry: { delayed: [10] } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TopologyError);
    expect((failure as Error).message).toMatch(/queue "dlr\.work" retries through the delay line and dead-letters to exchange "dlr\.dlx", which routes by routing key/);
  });

  it('still accepts that dead-letter exchange on a queue that does not retry with delays', async () => {
    await expect(start(topologyWith('topic', {}, 'dlr.#'), alwaysFail, { retry: { immediate: 1 } })).resolves.toBeDefined();
  });

  it('exhausted retries reach a topic dead-letter exchange bound to a pattern (deadLetterRoutingKey), recording the original key', async () => {
    const { transport, runs, publisher } = await start(topologyWith('topic', { deadLetterRoutingKey: 'dead.work' }, 'dead.*'), alwaysFail, { retry: { delayed: [10, 20] } });
    await publisher.publish(Job, { n: 1 }, { routingKey: 'dlr.special' });
    await transport.waitFor(() => transport.messages(DEAD).length === 1, { timeoutMs: 3000 });
    await transport.waitForIdle();
    expect(runs()).toBe(3);
    expect(transport.messages(DEAD)[0]?.properties.headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'handler', [FAILURE_HEADERS.originalRoutingKey]: 'dlr.special' });
    expect(transport.queueDepth(WORK)).toEqual({ ready: 0, unacked: 0 });
  });

  it('a manual nack without requeue after a delayed retry reaches the topic dead-letter exchange (deadLetterRoutingKey)', async () => {
    const { transport, publisher } = await start(
      topologyWith('topic', { deadLetterRoutingKey: 'dead.work' }, 'dead.*'),
      async (ctx, runs) => {
        if (runs === 1) await ctx.retry({ delayMs: 10 });
        else ctx.nack({ requeue: false });
      },
      { ack: 'manual', retry: { delayed: [10] } },
    );
    await publisher.publish(Job, { n: 1 }, { routingKey: 'dlr.special' });
    await transport.waitFor(() => transport.messages(DEAD).length === 1, { timeoutMs: 3000 });
    await transport.waitForIdle();
    expect(transport.messages(DEAD)).toHaveLength(1);
    expect(transport.queueDepth(WORK)).toEqual({ ready: 0, unacked: 0 });
  });

  it("the SDK's dead-letter copy of a retried message goes with the key it was published with, not the delay line's", async () => {
    const { transport, publisher } = await start(topologyWith('fanout', {}), alwaysFail, { retry: { delayed: [10] } });
    await publisher.publish(Job, { n: 1 }, { routingKey: 'dlr.special' });
    await transport.waitFor(() => transport.messages(DEAD).length === 1, { timeoutMs: 3000 });
    expect(transport.messages(DEAD)[0]?.routingKey).toBe('dlr.special');
  });
});

describe('retriedDeadLetterProblems', () => {
  const check = (exchanges: TopologyDefinition['exchanges'], queue: Partial<QueueDefinition>, bindings: TopologyDefinition['bindings'] = []) =>
    retriedDeadLetterProblems({ exchanges, queues: [{ name: 'q', ...queue }, { name: 'dead' }], bindings }, ['q']);

  it.each([
    ['a direct exchange', [{ name: 'dlx', type: 'direct' as const }], { deadLetterExchange: 'dlx' }, []],
    ['the default exchange', [], { deadLetterExchange: '' }, []],
    ['amq.topic', [], { deadLetterExchange: 'amq.topic' }, []],
    ['a fanout exchange bound to a topic exchange', [{ name: 'dlx', type: 'fanout' as const }, { name: 'next', type: 'topic' as const }], { deadLetterExchange: 'dlx' }, [{ exchange: 'dlx', toExchange: 'next' }]],
  ])('flags %s without deadLetterRoutingKey', (_name, exchanges, queue, bindings) => {
    expect(check(exchanges, queue, bindings)).toEqual([expect.stringContaining('queue "q" retries through the delay line')]);
  });

  it.each([
    ['a fanout exchange', [{ name: 'dlx', type: 'fanout' as const }], { deadLetterExchange: 'dlx' }],
    ['a headers exchange', [{ name: 'dlx', type: 'headers' as const }], { deadLetterExchange: 'dlx' }],
    ['a topic exchange with deadLetterRoutingKey', [{ name: 'dlx', type: 'topic' as const }], { deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead' }],
    ['no dead-letter exchange (the error queue)', [], { errorQueue: 'dead' }],
  ])('accepts %s', (_name, exchanges, queue) => {
    expect(check(exchanges, queue)).toEqual([]);
  });

  it('only checks queues whose consumers retry with delays', () => {
    expect(retriedDeadLetterProblems({ queues: [{ name: 'q', deadLetterExchange: '' }] }, [])).toEqual([]);
  });
});
