-- Which identity provider (its issuer) opened a console session, when single sign-on did:
-- signing out of such a session also ends the provider's (OpenID Connect RP-Initiated Logout).
ALTER TABLE console_session ADD COLUMN sso_issuer text;
