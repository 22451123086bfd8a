-- Signed API requests need the secret itself (to compute the HMAC), so it is
-- also kept encrypted with secret.key; nonces are accepted once per key
-- within the signature window.
alter table api_keys add column secret_enc text not null default '';
create table nonces (
  api_key_id integer not null,
  nonce text not null,
  expires_at integer not null,
  primary key (api_key_id, nonce)
) without rowid;
