-- Dashboard sessions (`POST /dashboard/sign-in`, src/pages/session.rs): a browser signs in
-- with an API key once and then holds a random session token in an HttpOnly, SameSite=Strict
-- cookie. Only the SHA-256 of the token is stored, with the SHA-256 of the key it stands
-- for: each request checks that key as a bearer key is checked (revoked or expired: the
-- session ends with it).
CREATE TABLE dashboard_sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,  -- hex SHA-256 of the cookie's token
    key_hash TEXT NOT NULL,                -- api_keys.key_hash of the key signed in with
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
