import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  ConsumerDefinitionError,
  defineContract,
  MessageValidationError,
  validateMessage,
  type ContractInput,
  type ContractOutput,
} from '../../../lib/index.js';

const OrderPlaced = defineContract({
  name: 'orders.placed',
  exchange: 'orders',
  schema: z.object({
    orderId: z.string().min(1),
    total: z.number().positive(),
    placedAt: z.string().transform((text) => new Date(text)),
    lines: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1),
  }),
});

describe('defineContract', () => {
  it('defaults the routing key to the name and freezes the result', () => {
    expect(OrderPlaced.routingKey).toBe('orders.placed');
    expect(Object.isFrozen(OrderPlaced)).toBe(true);
    const custom = defineContract({ name: 'a', exchange: 'x', routingKey: 'k.a', schema: z.string() });
    expect(custom.routingKey).toBe('k.a');
  });

  it('refuses an empty name and a schema that is not a Standard Schema', () => {
    expect(() => defineContract({ name: ' ', exchange: 'x', schema: z.string() })).toThrow(ConsumerDefinitionError);
    const notASchema = { parse: () => 1 } as unknown as z.ZodString;
    expect(() => defineContract({ name: 'a', exchange: 'x', schema: notASchema })).toThrow(/Standard Schema/);
  });

  it('[type test] gives input types to producers and output types to consumers (enforced by npm run typecheck)', () => {
    // Type test: jest compiles with isolatedModules and does not check types, so only `npm run typecheck`
    // (which `npm test` runs first) fails when a @ts-expect-error line below compiles.
    const input: ContractInput<typeof OrderPlaced> = {
      orderId: 'o-1',
      total: 10,
      placedAt: '2026-01-01T00:00:00Z',
      lines: [{ sku: 's', qty: 1 }],
    };
    // @ts-expect-error total must be a number
    const wrong: ContractInput<typeof OrderPlaced> = { ...input, total: '10' };
    // @ts-expect-error lines is required
    const missing: ContractInput<typeof OrderPlaced> = { orderId: 'o', total: 1, placedAt: 'x' };
    const output = null as unknown as ContractOutput<typeof OrderPlaced>;
    const placedAt: Date | undefined = output?.placedAt;
    expect([wrong, missing, placedAt]).toHaveLength(3);
  });
});

describe('validateMessage', () => {
  it('returns the schema output with transforms applied', async () => {
    const value = await validateMessage(OrderPlaced, {
      orderId: 'o-1',
      total: 5,
      placedAt: '2026-01-01T00:00:00.000Z',
      lines: [{ sku: 'a', qty: 2 }],
    });
    expect(value.placedAt).toBeInstanceOf(Date);
    expect(value.placedAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('lists every issue with its path', async () => {
    const error = await validateMessage(OrderPlaced, { orderId: '', total: -1, placedAt: 'x', lines: [{ sku: 'a', qty: 0 }] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MessageValidationError);
    const { issues, contract, message } = error as MessageValidationError;
    expect(contract).toBe('orders.placed');
    expect(issues.map((i) => i.path).sort()).toEqual(['lines.0.qty', 'orderId', 'total']);
    expect(message).toContain('Message does not match contract "orders.placed"');
    expect(message).toContain('total:');
  });

  it('awaits asynchronous schemas', async () => {
    const Async = defineContract({
      name: 'async',
      exchange: 'x',
      schema: z.string().refine(async (text) => text.startsWith('ok'), 'must start with ok'),
    });
    await expect(validateMessage(Async, 'ok then')).resolves.toBe('ok then');
    await expect(validateMessage(Async, 'nope')).rejects.toThrow('must start with ok');
  });
});
