import { describe } from '@jest/globals';
import { describeConnectionConformance } from './connection.conformance.js';
import type { TransportHarness } from './conformance.harness.js';
import { describeDeadLetterConformance } from './dead-letter.conformance.js';
import { describeDelayLineConformance } from './delay-line.conformance.js';
import { describeDeliveryConformance } from './delivery.conformance.js';
import { describeHeadersConformance } from './headers.conformance.js';
import { describeHeaderTrustConformance } from './header-trust.conformance.js';
import { describeQuorumConformance } from './quorum.conformance.js';
import { describeRoutingConformance } from './routing.conformance.js';
import { describeRpcConformance } from './rpc.conformance.js';
import { describeTopologyConformance } from './topology.conformance.js';

export type { ConformanceCaseId, DrainedMessage, TransportHarness } from './conformance.harness.js';

/**
 * The transport SPI's contract as tests: one body per rule, run against every transport through its
 * {@link TransportHarness}. A new transport proves itself by passing all of it; a rule it cannot meet
 * yet is listed in `harness.knownFailures` with the reason, and shows up skipped in every run.
 */
export function describeTransportConformance(name: string, harness: TransportHarness): void {
  describe(`${name} transport conformance`, () => {
    describeTopologyConformance(harness);
    describeDeliveryConformance(harness);
    describeDeadLetterConformance(harness);
    describeRoutingConformance(harness);
    describeHeadersConformance(harness);
    describeQuorumConformance(harness);
    describeHeaderTrustConformance(harness);
    describeConnectionConformance(harness);
    describeDelayLineConformance(harness);
    describeRpcConformance(harness);
  });
}
