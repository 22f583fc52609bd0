export * from './contract.types.js';
export * from './contract.factory.js';
export * from './contract.validator.js';
