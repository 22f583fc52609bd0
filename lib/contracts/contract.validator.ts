import type { StandardSchemaV1 } from '@standard-schema/spec';
import { MessageValidationError, type ValidationIssue } from '../errors/index.js';
import type { ContractOutput, MessageContract } from './contract.types.js';

function pathOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .map(String)
    .join('.');
}

/**
 * Validates a value against a contract's schema and returns the schema's output (with its transforms
 * applied). Throws {@link MessageValidationError} listing every issue. Schemas may validate
 * asynchronously; both kinds are awaited.
 */
export async function validateMessage<C extends MessageContract>(contract: C, value: unknown): Promise<ContractOutput<C>> {
  return checkMessage(contract, value);
}

/**
 * {@link validateMessage} without the promise when the schema answers synchronously (most do): returns
 * the output or throws at once, and returns a promise only for an asynchronous schema. For hot paths
 * that validate every message.
 */
export function checkMessage<C extends MessageContract>(contract: C, value: unknown): ContractOutput<C> | Promise<ContractOutput<C>> {
  const result = contract.schema['~standard'].validate(value);
  if (result instanceof Promise) return result.then((settled) => outputOf(contract, settled));
  return outputOf(contract, result);
}

function outputOf<C extends MessageContract>(contract: C, result: StandardSchemaV1.Result<unknown>): ContractOutput<C> {
  if (result.issues) {
    const issues: ValidationIssue[] = result.issues.map((issue) => ({ message: issue.message, path: pathOf(issue) }));
    throw new MessageValidationError(contract.name, issues);
  }
  return result.value as ContractOutput<C>;
}
