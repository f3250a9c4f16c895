/** Public surface of the mobile API workspace. */
export { buildApi, type ApiOptions } from './app.ts';
export {
  TokenIssuer,
  InvalidTokenError,
  DEFAULT_TOKEN_TTL_SECONDS,
  type IssuedToken,
  type TokenClaims,
} from './jwt.ts';
