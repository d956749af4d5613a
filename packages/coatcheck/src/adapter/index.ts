/**
 * `coatcheck/adapter`: the session engine for framework adapters. An adapter implements
 * {@link Exchange} over its framework's request and response, opens each request with
 * {@link sessionEngine}, and commits before the response goes; everything else (loading, change
 * detection, saving, rotation, timeouts, the cookie decision) is the engine's, as under `session()`.
 * `@coatcheck/koa` and `coatcheck/fetch` are built this way.
 *
 * @example
 * ```ts
 * import { sessionEngine } from 'coatcheck/adapter';
 * const engine = sessionEngine({ secret }, 'my-framework');
 * // per request: const opened = await engine.open(exchange); …; await opened.commit();
 * ```
 *
 * @module
 */
export type { DeviceRequest, DeviceResponse } from '../device-bound/hook.js';
export type { DeviceBindingInfo } from '../device-bound/middleware.js';
export {
  type AdapterDeviceBinding,
  type CookieSessionEngine,
  cookieSessionEngine,
  type EngineSupport,
  type OpenedRequest,
  ReplyDeviceResponse,
  type ReplyHeaders,
  type SessionEngine,
  sessionEngine,
} from '../session/adapter.js';
export type { Exchange, ExchangeDeviceHooks } from '../session/engine/exchange.js';
export { isSecureRequest, pathOf, type SessionRequest } from '../session/http/exchange.js';
