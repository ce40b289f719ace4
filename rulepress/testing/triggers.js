'use strict';
// What the sandbox offers to template code: the allowed Node built-ins, the refused network modules, and
// the api object of each Actions trigger (namespace -> method names). See docs/TESTING.md.

const ALLOWED_BUILTINS = new Set([
  'assert', 'buffer', 'crypto', 'events', 'path', 'querystring', 'string_decoder', 'url', 'util', 'zlib',
]);
const NETWORK_BUILTINS = new Set(['http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns', 'dns/promises']);

// The api object of each Actions trigger: namespace -> method names.
const CACHE = ['get', 'set', 'delete'];
const API_METHODS = {
  'post-login': {
    access: ['deny'],
    accessToken: ['setCustomClaim', 'addScope', 'removeScope'],
    authentication: [
      'challengeWith', 'challengeWithAny', 'enrollWith', 'enrollWithAny', 'recordMethod', 'setPrimaryUser',
    ],
    cache: CACHE,
    idToken: ['setCustomClaim'],
    multifactor: ['enable'],
    prompt: ['render'],
    redirect: ['canRedirect', 'encodeToken', 'sendUserTo', 'validateToken'],
    refreshToken: ['revoke', 'setExpiresAt', 'setIdleExpiresAt'],
    rules: ['wasExecuted'],
    samlResponse: [
      'setAttribute', 'setAudience', 'setCert', 'setCreateUpnClaim', 'setDestination', 'setDigestAlgorithm',
      'setEncryptionCert', 'setEncryptionPublicKey', 'setIncludeAttributeNameFormat', 'setIssuer', 'setKey',
      'setLifetimeInSeconds', 'setMapIdentities', 'setMapUnknownClaimsAsIs', 'setNameIdentifierFormat',
      'setNameIdentifierProbes', 'setPassthroughClaimsWithNoMapping', 'setRecipient',
      'setSignatureAlgorithm', 'setSignResponse', 'setSigningCert', 'setAuthnContextClassRef',
    ],
    session: ['revoke', 'setExpiresAt', 'setIdleExpiresAt', 'setMetadata', 'deleteMetadata', 'evictMetadata'],
    transaction: ['setResultUrl'],
    user: ['setAppMetadata', 'setUserMetadata'],
  },
  'credentials-exchange': {
    access: ['deny'],
    accessToken: ['setCustomClaim'],
    cache: CACHE,
  },
  'pre-user-registration': {
    access: ['deny'],
    cache: CACHE,
    user: ['setAppMetadata', 'setUserMetadata'],
    validation: ['error'],
  },
  'post-user-registration': { cache: CACHE },
  'post-change-password': { cache: CACHE },
  'send-phone-message': { cache: CACHE },
  'password-reset-post-challenge': {
    access: ['deny'],
    authentication: ['challengeWith', 'challengeWithAny'],
    cache: CACHE,
    redirect: ['canRedirect', 'encodeToken', 'sendUserTo', 'validateToken'],
    transaction: ['setResultUrl'],
  },
  'custom-email-provider': { cache: CACHE, notification: ['drop', 'retry'] },
  'custom-phone-provider': { cache: CACHE, notification: ['drop', 'retry'] },
  'custom-token-exchange': {
    access: ['deny', 'rejectInvalidSubjectToken'],
    authentication: ['setUserById', 'setUserByConnection'],
    cache: CACHE,
  },
};

module.exports = { ALLOWED_BUILTINS, NETWORK_BUILTINS, API_METHODS };
