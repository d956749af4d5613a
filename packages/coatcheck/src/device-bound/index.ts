export { BINDING_KEY, type BoundKey, type DeviceBinding } from './binding.js';
export { type BoundCookieCheck, BoundCookies } from './bound-cookie.js';
export { type ChallengePurpose, Challenges, type PendingChallenge } from './challenge.js';
export { checkDeviceJwk, type DevicePublicJwk, jwkThumbprint } from './jwk.js';
export type { DeviceBindingInfo, DeviceBoundOptions } from './middleware.js';
export {
  MAX_PROOF_LENGTH,
  type ProofRequirements,
  type VerifiedProof,
  verifyDeviceProof,
} from './proof.js';
export {
  challengeHeader,
  type DeviceKeyAlgorithm,
  registrationHeader,
  sessionIdentifierOf,
  sfString,
} from './structured.js';
