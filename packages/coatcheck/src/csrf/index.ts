/// <reference path="./express.d.ts" preserve="true" />
export {
  type CsrfGuard,
  type CsrfOptions,
  type CsrfRequestView,
  type CsrfTokenOptions,
  type CsrfTokenSettings,
  csrfGuard,
} from './guard.js';
export { type CsrfRequest, csrf } from './middleware.js';
export {
  type CrossOriginOptions,
  type CrossOriginPolicy,
  type CrossOriginRequest,
  checkCrossOrigin,
  crossOriginPolicy,
  isSafeMethod,
} from './origin.js';
export { createCsrfSecret, createCsrfToken, verifyCsrfToken } from './token.js';
