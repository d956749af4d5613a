export * from './cookies/index.js';
export * from './csrf/index.js';
export * from './errors.js';
export * from './stores/contract.js';
