"""The schema, as append-only migrations: never edit one that has shipped, add the next."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from hookscope.storage.search import create_index

migrations = Migrations("hookscope")


def _run(db: Database, *statements: str) -> None:
    # Not executescript(): it commits any open transaction first, and each migration must stay
    # inside the one transaction that also records it as applied.
    for statement in statements:
        db.execute(statement)


@migrations()
def m001_captures(db: Database) -> None:
    # AUTOINCREMENT: an id is never reused after a delete, so links (replay_of, notes, exports)
    # keep pointing at the capture they meant.
    _run(
        db,
        """
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at TEXT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            query TEXT NOT NULL DEFAULT '',
            http_version TEXT NOT NULL,
            remote TEXT NOT NULL DEFAULT '',
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            body_size INTEGER NOT NULL,
            body_truncated INTEGER NOT NULL DEFAULT 0,
            fts_len INTEGER NOT NULL DEFAULT 0,
            content_type TEXT NOT NULL DEFAULT '',
            provider TEXT,
            event TEXT,
            verdict TEXT NOT NULL DEFAULT 'n/a',
            verdict_detail TEXT NOT NULL DEFAULT '',
            checks TEXT NOT NULL DEFAULT '[]',
            response_status INTEGER,
            response_headers TEXT NOT NULL DEFAULT '[]',
            response_body BLOB,
            replay_of INTEGER
        )
        """,
        """
        CREATE INDEX captures_provider ON captures(provider, id)
        """,
        """
        CREATE INDEX captures_verdict ON captures(verdict, id)
        """,
        """
        CREATE INDEX captures_method ON captures(method, id)
        """,
    )
    # Full-text index over path, header text and the body's text. The body is a BLOB, so
    # sqlite-utils' enable_fts() triggers would index binary junk; these index only the UTF-8
    # prefix the writer measured (fts_len bytes; 0 for a binary body).
    _run(
        db,
        """
        CREATE VIRTUAL TABLE captures_fts USING fts5(
            path, headers, body, content='captures', content_rowid='id'
        )
        """,
        """
        CREATE TRIGGER captures_ai AFTER INSERT ON captures BEGIN
            INSERT INTO captures_fts(rowid, path, headers, body) VALUES (
                new.id, new.path, new.headers,
                CAST(substr(new.body, 1, new.fts_len) AS TEXT));
        END
        """,
        """
        CREATE TRIGGER captures_ad AFTER DELETE ON captures BEGIN
            INSERT INTO captures_fts(captures_fts, rowid, path, headers, body) VALUES (
                'delete', old.id, old.path, old.headers,
                CAST(substr(old.body, 1, old.fts_len) AS TEXT));
        END
        """,
    )
    _run(
        db,
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)
        """,
        """
        CREATE TABLE rules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            position INTEGER NOT NULL DEFAULT 0,
            pattern TEXT NOT NULL,
            method TEXT,
            status INTEGER NOT NULL DEFAULT 200,
            headers TEXT NOT NULL DEFAULT '[]',
            body TEXT NOT NULL DEFAULT '',
            delay_ms INTEGER NOT NULL DEFAULT 0,
            enabled INTEGER NOT NULL DEFAULT 1
        )
        """,
    )


@migrations()
def m002_index_when_idle(db: Database) -> None:
    # FTS5 indexing inside each capture's commit doubled the cost of an acknowledged capture.
    # The writer now indexes in batches while idle; fts_progress.upto is the newest capture in
    # the index (everything so far was indexed by the old trigger). Search covers the rest.
    _run(
        db,
        """
        DROP TRIGGER captures_ai
        """,
        """
        DROP TRIGGER captures_ad
        """,
        """
        CREATE TABLE fts_progress (upto INTEGER NOT NULL)
        """,
        """
        INSERT INTO fts_progress (upto) SELECT coalesce(max(id), 0) FROM captures
        """,
        """
        CREATE TRIGGER captures_ad AFTER DELETE ON captures
        WHEN old.id <= (SELECT upto FROM fts_progress) BEGIN
            INSERT INTO captures_fts(captures_fts, rowid, path, headers, body) VALUES (
                'delete', old.id, old.path, old.headers,
                CAST(substr(old.body, 1, old.fts_len) AS TEXT));
        END
        """,
    )


@migrations()
def m003_credentials_and_nonces(db: Database) -> None:
    # Secrets are Fernet tokens; the key is in a file outside the data directory (keyfile.py).
    # A Kudoz API key is stored in clear: it travels in clear in every Authorization header.
    _run(
        db,
        """
        CREATE TABLE credentials (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider TEXT NOT NULL,
            name TEXT NOT NULL UNIQUE,
            api_key TEXT NOT NULL DEFAULT '',
            secret BLOB NOT NULL,
            template TEXT,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE nonces (
            api_key TEXT NOT NULL,
            uuid TEXT NOT NULL,
            expires REAL NOT NULL,
            PRIMARY KEY (api_key, uuid)
        )
        """,
    )


@migrations()
def m004_config_revision(db: Database) -> None:
    # The engine reloads rules, settings and secrets when this number moves. PRAGMA data_version
    # also moved on every capture commit (the writer is another connection), which made the
    # engine decrypt every secret twice a second while capturing.
    statements = [
        "CREATE TABLE config_revision (n INTEGER NOT NULL)",
        "INSERT INTO config_revision (n) VALUES (0)",
    ]
    for table in ("rules", "credentials", "settings"):
        for action in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_{action.lower()}_revision AFTER {action} ON {table}"
                " BEGIN UPDATE config_revision SET n = n + 1; END"
            )
    _run(db, *statements)


@migrations()
def m005_star_and_note(db: Database) -> None:
    # What the user says of a capture; captures themselves stay as received.
    _run(
        db,
        "ALTER TABLE captures ADD COLUMN starred INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE captures ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX captures_starred ON captures (id) WHERE starred",
    )


@migrations()
def m006_targets_and_deliveries(db: Database) -> None:
    # targets: the emulator's registry (the same rows `hookscope targets` and the GUI edit).
    # A subscription is one (event, target_type, target_url): registering it again returns it.
    # Secrets are Fernet tokens, as in `credentials`.
    # deliveries: one row per outgoing attempt, never updated; attempts of one fire share fire_id.
    # api_keys: the emulator's accepted x-api-key values, kept as SHA-256 digests only.
    statements = [
        """
        CREATE TABLE targets (
            id TEXT PRIMARY KEY,
            event TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_url TEXT NOT NULL,
            secret BLOB,
            is_enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (event, target_type, target_url)
        )
        """,
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            fire_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            final INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            target_id TEXT,
            event TEXT,
            method TEXT NOT NULL,
            url TEXT NOT NULL,
            request_headers TEXT NOT NULL,
            request_body BLOB NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            replay_of INTEGER,
            status INTEGER,
            response_headers TEXT NOT NULL DEFAULT '[]',
            response_body BLOB NOT NULL DEFAULT x'',
            response_truncated INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            latency_ms REAL NOT NULL
        )
        """,
        "CREATE INDEX deliveries_fire ON deliveries (fire_id, id)",
        "CREATE INDEX deliveries_target ON deliveries (target_id, id)",
        """
        CREATE TABLE api_keys (
            digest TEXT PRIMARY KEY,
            hint TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
    ]
    for table in ("targets", "api_keys"):
        for action in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_{action.lower()}_revision AFTER {action} ON {table}"
                " BEGIN UPDATE config_revision SET n = n + 1; END"
            )
    _run(db, *statements)


@migrations()
def m007_replays_index(db: Database) -> None:
    # A capture's detail lists the replays of it: found by replay_of, only on the rows that
    # have one (most have none, so the index stays small).
    _run(
        db,
        "CREATE INDEX captures_replays ON captures (replay_of, id) WHERE replay_of IS NOT NULL",
    )


@migrations()
def m008_search_substrings(db: Database) -> None:
    # Search finds text inside words (`nich` in `Munich`) and JSON strings by their decoded
    # characters: the word index (unicode61 tokens, prefix queries) becomes a trigram index
    # over decoded text (storage/search.py). It starts empty and the writer's background
    # indexer fills it from the oldest capture, so opening a large store does not wait for it;
    # until then search reads the text of the captures it has not reached.
    _run(
        db,
        "DROP TRIGGER captures_ad",
        "DROP TABLE captures_fts",
        "UPDATE fts_progress SET upto = 0",
    )
    create_index(db)


@migrations()
def m009_imported(db: Database) -> None:
    # imported_from: the file a capture was imported from (NULL: it arrived live). Timings of a
    # live capture, for HAR: receive_ms from its head to its whole body, answer_ms from there
    # to our answer (NULL when not measured: captures stored before this, most imports).
    _run(
        db,
        "ALTER TABLE captures ADD COLUMN imported_from TEXT",
        "ALTER TABLE captures ADD COLUMN receive_ms REAL",
        "ALTER TABLE captures ADD COLUMN answer_ms REAL",
    )


@migrations()
def m010_schemes(db: Database) -> None:
    # Custom signing schemes, stored beside the secrets: exactly the fields of core's Scheme.
    # A secret or a path override names its scheme by `name`; the triggers make the engine
    # reload them (a CLI beside a running app) as they do for secrets.
    statements = [
        """
        CREATE TABLE schemes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            header TEXT NOT NULL,
            prefix TEXT NOT NULL DEFAULT '',
            algorithm TEXT NOT NULL,
            encoding TEXT NOT NULL,
            signed TEXT NOT NULL,
            timestamp_header TEXT,
            tolerance INTEGER NOT NULL,
            id_header TEXT,
            created_at TEXT NOT NULL
        )
        """,
    ]
    for action in ("INSERT", "UPDATE", "DELETE"):
        statements.append(
            f"CREATE TRIGGER schemes_{action.lower()}_revision AFTER {action} ON schemes"
            " BEGIN UPDATE config_revision SET n = n + 1; END"
        )
    _run(db, *statements)


@migrations()
def m011_forwarding(db: Database) -> None:
    # Numbered to follow m010_schemes (custom signing schemes, stored beside the secrets).
    # forward_rules: where captures are sent on to (core/forwarding.py); any process may write
    # them, and the triggers make a running engine reload them as it does for response rules.
    # forwards: one row per capture and app it goes to, written in the capture's own commit, so
    # a forward can never be lost between the acknowledgement and its sending: one without any
    # attempt in the delivery log is "not sent yet" (stopped or killed first) and can be sent.
    # deliveries.forward_id: the forward an attempt belongs to (replay_of names the capture).
    statements = [
        """
        CREATE TABLE forward_rules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            position INTEGER NOT NULL DEFAULT 0,
            pattern TEXT NOT NULL,
            url TEXT NOT NULL,
            mode TEXT NOT NULL DEFAULT 'async',
            provider TEXT,
            event TEXT,
            strip_prefix TEXT NOT NULL DEFAULT '',
            resign TEXT,
            enabled INTEGER NOT NULL DEFAULT 1
        )
        """,
        """
        CREATE TABLE forwards (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            capture_id INTEGER NOT NULL,
            rule_id INTEGER,
            url TEXT NOT NULL,
            mode TEXT NOT NULL,
            resign TEXT,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX forwards_capture ON forwards (capture_id, id)",
        "CREATE INDEX forwards_created ON forwards (created_at, id)",
        "ALTER TABLE deliveries ADD COLUMN forward_id INTEGER",
        "CREATE INDEX deliveries_forward ON deliveries (forward_id, id)"
        " WHERE forward_id IS NOT NULL",
    ]
    for action in ("INSERT", "UPDATE", "DELETE"):
        statements.append(
            f"CREATE TRIGGER forward_rules_{action.lower()}_revision AFTER {action}"
            " ON forward_rules BEGIN UPDATE config_revision SET n = n + 1; END"
        )
    _run(db, *statements)


@migrations()
def m012_capture_total(db: Database) -> None:
    # How many captures the store holds, kept by triggers as rows are written and deleted
    # (by any process): counting a million rows reads a second of index pages on a cold file,
    # and the list needs the total to place its last row (End) after every filter change.
    _run(
        db,
        "CREATE TABLE capture_total (n INTEGER NOT NULL)",
        "INSERT INTO capture_total (n) SELECT count(*) FROM captures",
        "CREATE TRIGGER captures_total_ai AFTER INSERT ON captures"
        " BEGIN UPDATE capture_total SET n = n + 1; END",
        "CREATE TRIGGER captures_total_ad AFTER DELETE ON captures"
        " BEGIN UPDATE capture_total SET n = n - 1; END",
    )
