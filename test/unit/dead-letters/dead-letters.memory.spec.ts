import { afterAll, beforeAll, describe } from '@jest/globals';
import { deadLetterScenarios } from '../../fixtures/dead-letters.scenarios.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { memoryHarness } from '../../fixtures/queue-access.fixture.js';

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

describe('DeadLetters and the queue reader on MemoryTransport', () => {
  deadLetterScenarios(memoryHarness);
});
