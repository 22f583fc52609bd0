export * from './rpc-contract.types.js';
export * from './rpc-contract.factory.js';
export * from './rpc-request.options.js';
export * from './rpc.producer.js';
export { RPC_STATUS_HEADER } from './rpc-reply.codec.js';
export { RPC_DEADLINE_HEADER } from './rpc-request.deadline.js';
