export * from './cookies/sign.js';
export * from './errors.js';
export * from './stores/contract.js';
