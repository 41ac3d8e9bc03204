/// The schema on PostgreSQL, migration by migration (a shipped one is never edited). The same
/// tables as SQLite's `Migrations`, in PostgreSQL's types: times as seconds since 1970 in
/// `double precision` (as SQLite keeps them), JSON documents as text (the input byte for byte as
/// received, read with `::jsonb` where a query looks inside), plus what several nodes share:
/// the delivery lease per account, the nodes' heartbeats and the OAuth tokens.
enum PostgresSchema {
    static let migrations: [PGMigrator.Migration] = [
        .init(
            "pg1-meta-budget-products",
            """
            CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE api_requests (id bigserial PRIMARY KEY, pid bigint NOT NULL, at double precision NOT NULL);
            CREATE INDEX api_requests_at ON api_requests (at);
            CREATE TABLE product_index (
              catalog_id bigint NOT NULL,
              sku text NOT NULL,
              element_id bigint NOT NULL,
              PRIMARY KEY (catalog_id, sku)
            );
            """),
        .init(
            "pg2-jobs-index-ledger",
            """
            CREATE TABLE jobs (
              id bigserial PRIMARY KEY,
              kind text NOT NULL CHECK (kind IN ('order', 'order_update', 'form', 'contact', 'status_back', 'reconcile')),
              source text NOT NULL,
              external_id text NOT NULL,
              dedupe_key text NOT NULL UNIQUE,
              state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled', 'skipped')),
              input text NOT NULL,
              plan text NOT NULL,
              progress text NOT NULL DEFAULT '{}',
              warnings text NOT NULL DEFAULT '[]',
              attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
              run_at double precision NOT NULL,
              lease_until double precision,
              lease_owner text,
              created_at double precision NOT NULL,
              updated_at double precision NOT NULL,
              finished_at double precision,
              last_error text,
              search text NOT NULL DEFAULT '',
              lead_id bigint,
              contact_id bigint,
              note_id bigint,
              CHECK (state <> 'running' OR lease_until IS NOT NULL)
            );
            CREATE INDEX jobs_claim ON jobs (state, run_at);
            CREATE INDEX jobs_order ON jobs (source, external_id);
            CREATE INDEX jobs_created ON jobs (created_at);
            CREATE INDEX jobs_lead ON jobs (lead_id) WHERE lead_id IS NOT NULL;
            CREATE TABLE job_attempts (
              id bigserial PRIMARY KEY,
              job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
              at double precision NOT NULL,
              duration_ms integer NOT NULL,
              outcome text NOT NULL CHECK (outcome IN ('done', 'retry', 'failed', 'throttled', 'paused', 'interrupted')),
              http_status integer,
              request text,
              error text,
              validation_errors text NOT NULL DEFAULT '[]'
            );
            CREATE INDEX job_attempts_job ON job_attempts (job_id);
            CREATE TABLE contact_index (contact_id bigint PRIMARY KEY, updated_at bigint NOT NULL, data text NOT NULL);
            CREATE TABLE contact_keys (
              key text NOT NULL,
              contact_id bigint NOT NULL REFERENCES contact_index (contact_id) ON DELETE CASCADE,
              PRIMARY KEY (key, contact_id)
            );
            CREATE INDEX contact_keys_contact ON contact_keys (contact_id);
            CREATE TABLE status_writes (
              source text NOT NULL,
              external_id text NOT NULL,
              status text NOT NULL,
              stage_id bigint NOT NULL,
              lead_id bigint NOT NULL,
              at double precision NOT NULL,
              PRIMARY KEY (source, external_id)
            );
            CREATE TABLE nodes (id bigint PRIMARY KEY, name text NOT NULL, seen_at double precision NOT NULL);
            CREATE TABLE leases (name text PRIMARY KEY, holder bigint NOT NULL, holder_name text NOT NULL,
                                 until double precision NOT NULL, since double precision NOT NULL);
            CREATE TABLE oauth_tokens (account text PRIMARY KEY, data text NOT NULL, version bigint NOT NULL);
            """),
    ]
}
