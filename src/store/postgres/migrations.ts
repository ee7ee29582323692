/**
 * Schema steps of the shared PostgreSQL store; `causeway_schema.version` says how many have run.
 * Append, never edit: a step that ran on one replica must mean the same on every later one.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE identities (
     name TEXT PRIMARY KEY,
     role TEXT NOT NULL CHECK (role IN ('agent', 'client', 'server')),
     enabled BOOLEAN NOT NULL,
     cidrs JSONB NOT NULL DEFAULT '[]',
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE identity_keys (
     key_id TEXT PRIMARY KEY,
     identity TEXT NOT NULL REFERENCES identities (name) ON DELETE CASCADE,
     public_jwk JSONB NOT NULL,
     added_at TEXT NOT NULL
   );
   CREATE INDEX identity_keys_by_identity ON identity_keys (identity);
   CREATE TABLE issued_certificates (
     serial TEXT PRIMARY KEY,
     identity TEXT NOT NULL,
     key_id TEXT NOT NULL,
     not_after_ms BIGINT NOT NULL
   );
   CREATE INDEX issued_certificates_by_expiry ON issued_certificates (not_after_ms);
   CREATE TABLE used_token_ids (
     jti TEXT PRIMARY KEY,
     expires_ms BIGINT NOT NULL
   );
   CREATE INDEX used_token_ids_by_expiry ON used_token_ids (expires_ms);
   CREATE TABLE audit_chains (
     chain TEXT PRIMARY KEY,
     created_ms BIGINT NOT NULL,
     anchor_seq BIGINT NOT NULL,
     anchor_prev_hash TEXT NOT NULL
   );
   CREATE TABLE audit (
     id BIGSERIAL PRIMARY KEY,
     chain TEXT NOT NULL REFERENCES audit_chains (chain),
     seq BIGINT NOT NULL,
     time_ms BIGINT NOT NULL,
     type TEXT NOT NULL,
     identities JSONB NOT NULL,
     body TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL,
     UNIQUE (chain, seq)
   );
   CREATE INDEX audit_time ON audit (time_ms);
   CREATE INDEX audit_identities ON audit USING GIN (identities);`,
];
