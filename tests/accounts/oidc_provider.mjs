// A real OpenID Connect provider for the tests: the `oidc-provider` package (certified OpenID), with its
// development sign-in pages. People and their groups are read from ACCOUNTS_FILE at every request, so a
// test changes someone's groups by rewriting the file.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const { PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, AFTER_SIGN_OUT, ACCOUNTS_FILE } = process.env;
const people = () => JSON.parse(readFileSync(ACCOUNTS_FILE, 'utf8'));

const provider = new Provider(`http://127.0.0.1:${PORT}`, {
  clients: [{
    client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [AFTER_SIGN_OUT], grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  pkce: { methods: ['S256'], required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['deskpilot-tests-only'] },
  async findAccount(ctx, id) {
    const person = people()[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { sub: id, email_verified: true, ...people()[id] }; } };
  },
});
provider.listen(Number(PORT), '127.0.0.1', () => console.log(`oidc-provider listening on ${PORT}`));
