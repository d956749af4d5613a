/**
 * `#events` under the `node` export condition: node:events' own EventEmitter, so stores stay the
 * EventEmitters express-session and connect stores expect. web.ts is its stand-in elsewhere.
 *
 * @module
 */
export { EventEmitter } from 'node:events';
