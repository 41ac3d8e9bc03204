import GRDB
import AmoSyncCore

/// Schema history. A shipped migration is never edited: add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-jobs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE jobs (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      kind TEXT NOT NULL CHECK (kind IN ('order', 'order_update', 'form', 'contact')),
                      source TEXT NOT NULL,
                      external_id TEXT NOT NULL,
                      dedupe_key TEXT NOT NULL UNIQUE,
                      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
                      input TEXT NOT NULL,
                      plan TEXT NOT NULL,
                      progress TEXT NOT NULL DEFAULT '{}',
                      warnings TEXT NOT NULL DEFAULT '[]',
                      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                      run_at REAL NOT NULL,
                      lease_until REAL,
                      created_at REAL NOT NULL,
                      updated_at REAL NOT NULL,
                      finished_at REAL,
                      last_error TEXT,
                      search TEXT NOT NULL DEFAULT '',
                      CHECK (state <> 'running' OR lease_until IS NOT NULL)
                    );
                    CREATE INDEX jobs_claim ON jobs (state, run_at);
                    CREATE INDEX jobs_order ON jobs (source, external_id);
                    CREATE INDEX jobs_created ON jobs (created_at);
                    CREATE TABLE job_attempts (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                      at REAL NOT NULL,
                      duration_ms INTEGER NOT NULL,
                      outcome TEXT NOT NULL CHECK (outcome IN ('done', 'retry', 'failed', 'throttled', 'paused', 'interrupted')),
                      http_status INTEGER,
                      request TEXT,
                      error TEXT,
                      validation_errors TEXT NOT NULL DEFAULT '[]'
                    );
                    CREATE INDEX job_attempts_job ON job_attempts (job_id);
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v2-contact-index") { db in
            try db.execute(
                sql: """
                    CREATE TABLE contact_index (
                      contact_id INTEGER PRIMARY KEY NOT NULL,
                      updated_at INTEGER NOT NULL,
                      data TEXT NOT NULL
                    );
                    CREATE TABLE contact_keys (
                      key TEXT NOT NULL,
                      contact_id INTEGER NOT NULL REFERENCES contact_index (contact_id) ON DELETE CASCADE,
                      PRIMARY KEY (key, contact_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX contact_keys_contact ON contact_keys (contact_id);
                    """)
        }
        migrator.registerMigration("v3-shared-rate-budget") { db in
            try db.execute(
                sql: """
                    CREATE TABLE api_requests (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      pid INTEGER NOT NULL,
                      at REAL NOT NULL
                    );
                    CREATE INDEX api_requests_at ON api_requests (at);
                    """)
        }
        migrator.registerMigration("v4-lease-owner") { db in
            // Which claim holds a running job's lease: checkpoints and final writes are
            // conditional on it, so a lane that lost its lease cannot overwrite the new holder.
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN lease_owner TEXT")
        }
        migrator.registerMigration("v5-skipped-state") { db in
            // SQLite cannot change a CHECK constraint: the table is rebuilt (GRDB runs a
            // migration with foreign keys off, so job_attempts keeps its rows) and keeps its
            // id sequence, so that no purged id is ever handed out again.
            try db.execute(
                sql: """
                    CREATE TABLE jobs_new (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      kind TEXT NOT NULL CHECK (kind IN ('order', 'order_update', 'form', 'contact')),
                      source TEXT NOT NULL,
                      external_id TEXT NOT NULL,
                      dedupe_key TEXT NOT NULL UNIQUE,
                      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled', 'skipped')),
                      input TEXT NOT NULL,
                      plan TEXT NOT NULL,
                      progress TEXT NOT NULL DEFAULT '{}',
                      warnings TEXT NOT NULL DEFAULT '[]',
                      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                      run_at REAL NOT NULL,
                      lease_until REAL,
                      created_at REAL NOT NULL,
                      updated_at REAL NOT NULL,
                      finished_at REAL,
                      last_error TEXT,
                      search TEXT NOT NULL DEFAULT '',
                      lease_owner TEXT,
                      CHECK (state <> 'running' OR lease_until IS NOT NULL)
                    );
                    INSERT INTO jobs_new SELECT id, kind, source, external_id, dedupe_key, state, input, plan, progress, warnings,
                      attempts, run_at, lease_until, created_at, updated_at, finished_at, last_error, search, lease_owner FROM jobs;
                    UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0))
                      WHERE name = 'jobs_new';
                    DROP TABLE jobs;
                    ALTER TABLE jobs_new RENAME TO jobs;
                    CREATE INDEX jobs_claim ON jobs (state, run_at);
                    CREATE INDEX jobs_order ON jobs (source, external_id);
                    CREATE INDEX jobs_created ON jobs (created_at);
                    """)
        }
        migrator.registerMigration("v6-job-results") { db in
            // The ids a job produced, as columns: "the lead of order X" and "which order holds
            // lead Y" are indexed lookups instead of decoding every progress document.
            try db.execute(
                sql: """
                    ALTER TABLE jobs ADD COLUMN lead_id INTEGER;
                    ALTER TABLE jobs ADD COLUMN contact_id INTEGER;
                    ALTER TABLE jobs ADD COLUMN note_id INTEGER;
                    UPDATE jobs SET lead_id = json_extract(progress, '$.lead_id'), contact_id = json_extract(progress, '$.contact_id'),
                      note_id = json_extract(progress, '$.note_id')
                      WHERE progress <> '{}' AND json_valid(progress);
                    CREATE INDEX jobs_lead ON jobs (lead_id) WHERE lead_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v7-status-back") { db in
            // New job kinds (amoCRM → shop): the CHECK is rebuilt as in v5, the id sequence kept.
            // `status_writes` is the ledger of what amosync wrote to a shop's order — one row per
            // order, the latest write — so that the shop's echo of it does not move the lead.
            try db.execute(
                sql: """
                    CREATE TABLE jobs_new (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      kind TEXT NOT NULL CHECK (kind IN ('order', 'order_update', 'form', 'contact', 'status_back', 'reconcile')),
                      source TEXT NOT NULL,
                      external_id TEXT NOT NULL,
                      dedupe_key TEXT NOT NULL UNIQUE,
                      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled', 'skipped')),
                      input TEXT NOT NULL,
                      plan TEXT NOT NULL,
                      progress TEXT NOT NULL DEFAULT '{}',
                      warnings TEXT NOT NULL DEFAULT '[]',
                      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                      run_at REAL NOT NULL,
                      lease_until REAL,
                      created_at REAL NOT NULL,
                      updated_at REAL NOT NULL,
                      finished_at REAL,
                      last_error TEXT,
                      search TEXT NOT NULL DEFAULT '',
                      lease_owner TEXT,
                      lead_id INTEGER,
                      contact_id INTEGER,
                      note_id INTEGER,
                      CHECK (state <> 'running' OR lease_until IS NOT NULL)
                    );
                    INSERT INTO jobs_new SELECT id, kind, source, external_id, dedupe_key, state, input, plan, progress, warnings,
                      attempts, run_at, lease_until, created_at, updated_at, finished_at, last_error, search, lease_owner,
                      lead_id, contact_id, note_id FROM jobs;
                    UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0))
                      WHERE name = 'jobs_new';
                    DROP TABLE jobs;
                    ALTER TABLE jobs_new RENAME TO jobs;
                    CREATE INDEX jobs_claim ON jobs (state, run_at);
                    CREATE INDEX jobs_order ON jobs (source, external_id);
                    CREATE INDEX jobs_created ON jobs (created_at);
                    CREATE INDEX jobs_lead ON jobs (lead_id) WHERE lead_id IS NOT NULL;
                    CREATE TABLE status_writes (
                      source TEXT NOT NULL,
                      external_id TEXT NOT NULL,
                      status TEXT NOT NULL,
                      stage_id INTEGER NOT NULL,
                      lead_id INTEGER NOT NULL,
                      at REAL NOT NULL,
                      PRIMARY KEY (source, external_id)
                    );
                    """)
        }
        migrator.registerMigration("v8-product-index") { db in
            // Order items as elements of the account's products list: SKU → element, per list.
            try db.execute(
                sql: """
                    CREATE TABLE product_index (
                      catalog_id INTEGER NOT NULL,
                      sku TEXT NOT NULL,
                      element_id INTEGER NOT NULL,
                      PRIMARY KEY (catalog_id, sku)
                    );
                    """)
        }
        return migrator
    }
}
