/** Dead-letter inspection, redrive and purge: the `DeadLetters` service, its types and errors. */
export { DeadLetters, type DeadLettersOptions } from './dead-letters.service.js';
export { REDRIVE_HEADERS } from './redrive.headers.js';
export { describeDeadLetter } from './dead-letter.describer.js';
export * from './dead-letters.errors.js';
export type * from './dead-letter.types.js';
