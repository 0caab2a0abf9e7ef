/**
 * A real OpenID Connect provider for the tests (the `oidc-provider` package, ESM-only, so it runs
 * as its own node process; test/support/oidc.ts starts it). Configured by one JSON document in
 * OIDC_TEST_CONFIG:
 *   { port, jwks: { keys: [private JWK] }, clients: [client metadata], accounts: { id: claims },
 *     resources: { "<resource indicator>": accessTokenTTLSeconds } }
 * Accounts sign in through the package's development interactions (a login form that takes any
 * password, then a consent form). Access tokens for a resource indicator are JWTs whose audience
 * is that indicator and that carry the account's claims. Prints one line `ready <issuer>`.
 */
/* global process, console */
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? '{}');
const issuer = `http://127.0.0.1:${config.port}`;
const accountClaims = (id) => {
  const claims = config.accounts[id];
  return claims ? { sub: id, ...claims } : undefined;
};

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'department', 'roles'],
    email: ['email'],
  },
  // Claims of the granted scopes go into the ID token too (the app maps the ID token's claims).
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => {
    if (!accountClaims(id)) return undefined;
    return { accountId: id, claims: async () => accountClaims(id) };
  },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        const ttl = config.resources[indicator];
        if (ttl === undefined) throw new Error(`unknown resource ${indicator}`);
        return {
          scope: 'api',
          audience: indicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // The account's claims ride in JWT access tokens, as the city's provider puts them there for API clients.
  extraTokenClaims: async (_ctx, token) => {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const claims = { ...accountClaims(token.accountId) };
    delete claims.sub;
    return claims;
  },
  pkce: { required: () => true },
  ttl: { IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60 },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});
provider.on('server_error', (_ctx, err) => console.error(`oidc-provider server_error: ${err.stack}`));

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The test runner going away (no stdin any more) ends the provider too.
process.stdin.on('end', stop);
process.stdin.resume();
