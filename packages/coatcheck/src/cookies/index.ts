/// <reference path="./express.d.ts" preserve="true" />

export { isCookieName } from './attributes.js';
export {
  type ChunkReading,
  chunkLengths,
  chunkName,
  expireChunks,
  MAX_CHUNKS,
  readChunks,
  serializeChunks,
} from './chunk.js';
export { type KeygripAlgorithm, type KeygripKey, keygripIndex, keygripSign } from './keygrip.js';
export {
  type CookiesOptions,
  type CookiesRequest,
  type CookiesResponse,
  type CookieValue,
  cookies,
  type SetCookieOptions,
} from './middleware.js';
export {
  type CookieMap,
  type CookieQuotes,
  findCookie,
  type ParseCookieOptions,
  parseCookie,
} from './parse.js';
export { JSONCookie, JSONCookies, signedCookie, signedCookies } from './parser-helpers.js';
export {
  SEAL_PREFIX,
  type SealingKey,
  type SealingKeysOptions,
  type SealOptions,
  seal,
  sealAsync,
  sealingKeys,
  type UnsealFailure,
  type UnsealOptions,
  type UnsealResult,
  unseal,
  unsealAsync,
} from './seal.js';
export {
  type CookieAttributes,
  type CookieOptionsArgument,
  type CookieOptionsFor,
  type CookiePriority,
  type HostHttpPrefixedName,
  type HostPrefixedName,
  type HttpPrefixedName,
  MAX_COOKIE_AGE,
  MAX_COOKIE_SIZE,
  type SameSite,
  type SecurePrefixedName,
  type SerializeCookieOptions,
  serializeCookie,
} from './serialize.js';
export * from './sign.js';
