export * from './json.codec.js';
