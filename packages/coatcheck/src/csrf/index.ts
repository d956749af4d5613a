/// <reference path="./express.d.ts" preserve="true" />
export { type CsrfOptions, type CsrfRequest, type CsrfTokenOptions, csrf } from './middleware.js';
export {
  type CrossOriginOptions,
  type CrossOriginPolicy,
  type CrossOriginRequest,
  checkCrossOrigin,
  crossOriginPolicy,
  isSafeMethod,
} from './origin.js';
export { createCsrfSecret, createCsrfToken, verifyCsrfToken } from './token.js';
