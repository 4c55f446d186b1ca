// A real OpenID Connect provider on loopback for the single sign-on tests.
// argv[2]: a JSON file {port, clients: [{client_id, client_secret, redirect_uris}], accounts: {id: {...}}}.
// Each account has email, email_verified, amr and optionally acr. The interaction step signs in
// the account named by the authorization request's login_hint at once (no form) with that amr/acr
// and grants the requested scopes: the tests choose who signs in by adding login_hint.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const setup = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${setup.port}`;
const provider = new Provider(issuer, {
  clients: setup.clients.map((client) => ({ ...client, grant_types: ['authorization_code'],
                                             response_types: ['code'],
                                             token_endpoint_auth_method: 'client_secret_basic' })),
  claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'email'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (ctx, id) => {
    const account = setup.accounts[id];
    return account && { accountId: id, claims: () => ({ sub: id, email: account.email,
                                                         email_verified: account.email_verified }) };
  },
});

provider.use(async (ctx, next) => {
  const found = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!found) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    const id = details.params.login_hint;
    const account = setup.accounts[id];
    result = account ? { login: { accountId: id, amr: account.amr, acr: account.acr } }
                     : { error: 'access_denied', error_description: 'no such test account' };
  } else {
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

provider.listen(setup.port, '127.0.0.1', () => console.log(`listening ${issuer}`));
