import { describe, expect, it } from '@jest/globals';
import { RedriveDestinationError } from '../../../lib/dead-letters/index.js';
import { refuseDestination } from '../../../lib/dead-letters/redrive.destination.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';

const topology: TopologyDefinition = {
  exchanges: [{ name: 'orders.dlx', type: 'fanout' }],
  queues: [
    { name: 'billing', errorQueue: 'billing.error' },
    { name: 'shipping', deadLetterExchange: 'orders.dlx' },
    { name: 'audit', deadLetterExchange: 'elsewhere.dlx', deadLetterRoutedElsewhere: true },
    { name: 'payments' },
    { name: 'failures' },
  ],
  bindings: [{ exchange: 'orders.dlx', queue: 'failures' }],
};

describe('where a redrive may send a message', () => {
  it('with the topology: only a declared queue whose failures come to the queue redriven', () => {
    const from = (queue: string) => ({ from: queue, named: undefined, topology });
    expect(refuseDestination(from('billing.error'), 'billing')).toBeUndefined();
    expect(refuseDestination(from('failures'), 'shipping')).toBeUndefined();
    expect(refuseDestination(from('failures'), 'audit')).toBeUndefined();
    for (const [queue, destination] of [
      ['billing.error', 'payments'],
      ['billing.error', 'shipping'],
      ['failures', 'billing'],
      ['billing.error', 'not.declared'],
      ['billing.error', 'billing.error'],
    ] as const) {
      const refusal = refuseDestination(from(queue), destination);
      expect(refusal).toBeInstanceOf(RedriveDestinationError);
      expect(refusal).toMatchObject({ code: 'REDRIVE_DESTINATION_REFUSED', queue, destination });
    }
  });

  it('without a topology (the CLI): <name> for <name>.error, else only queues the operator names', () => {
    const bare = (from: string, named?: readonly string[]) => ({ from, named, topology: undefined });
    expect(refuseDestination(bare('billing.error'), 'billing')).toBeUndefined();
    expect(refuseDestination(bare('billing.error'), 'payments')?.message).toContain('name the destination with "to" (CLI: --to)');
    expect(refuseDestination(bare('failures'), 'billing')).toBeInstanceOf(RedriveDestinationError);
    expect(refuseDestination(bare('.error'), '')).toBeInstanceOf(RedriveDestinationError);
    expect(refuseDestination(bare('failures', ['billing', 'shipping']), 'shipping')).toBeUndefined();
    // Naming queues replaces the other rules: billing is refused from billing.error when only others are named.
    expect(refuseDestination(bare('billing.error', ['payments']), 'billing')).toBeInstanceOf(RedriveDestinationError);
    expect(refuseDestination({ from: 'billing.error', named: ['payments'], topology }, 'payments')).toBeUndefined();
  });
});
