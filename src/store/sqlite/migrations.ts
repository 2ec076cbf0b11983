/**
 * The SQLite schema, as numbered migrations applied in order, each in its own transaction, and
 * recorded in `PRAGMA user_version`. Never edit a released migration: add the next number.
 *
 * Resources are stored as JSON documents of their domain objects (src/domain/model.ts) beside the
 * columns they are looked up by; events keep their envelope text as PutEvents built it.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'buses, rules, targets, tags, events, deliveries, counters',
    sql: `
      CREATE TABLE buses (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name)
      ) WITHOUT ROWID;
      CREATE TABLE rules (
        account TEXT NOT NULL, region TEXT NOT NULL, bus TEXT NOT NULL, name TEXT NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL,
        PRIMARY KEY (account, region, bus, name)
      ) WITHOUT ROWID;
      CREATE TABLE targets (
        rule_arn TEXT NOT NULL, id TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (rule_arn, id)
      ) WITHOUT ROWID;
      CREATE TABLE tags (
        arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (arn, key)
      ) WITHOUT ROWID;
      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL, region TEXT NOT NULL, bus TEXT NOT NULL,
        ingested_at INTEGER NOT NULL,
        envelope TEXT NOT NULL,
        trace_header TEXT
      );
      CREATE TABLE deliveries (
        event_id TEXT NOT NULL, rule_arn TEXT NOT NULL, target_id TEXT NOT NULL,
        target_arn TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        PRIMARY KEY (event_id, rule_arn, target_id)
      ) WITHOUT ROWID;
      CREATE INDEX deliveries_by_state ON deliveries (state, next_attempt_at);
      CREATE TABLE counters (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (account, region, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'compact owed deliveries: (event rowid, destination number) rows',
    // An event is owed to a few targets; writing one row of two small integers per delivery (in
    // event order, so appended) instead of one keyed by long text cut the commit cost of
    // PutEvents several times over. A destination (rule ARN, target id, target ARN) is numbered
    // once, in `destinations`, and never renumbered.
    sql: `
      CREATE TABLE destinations (
        id INTEGER PRIMARY KEY,
        rule_arn TEXT NOT NULL, target_id TEXT NOT NULL, target_arn TEXT NOT NULL,
        UNIQUE (rule_arn, target_id, target_arn)
      );
      INSERT INTO destinations (rule_arn, target_id, target_arn)
        SELECT DISTINCT rule_arn, target_id, target_arn FROM deliveries;
      CREATE TABLE owed (
        event INTEGER NOT NULL,
        destination INTEGER NOT NULL,
        state INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (event, destination)
      ) WITHOUT ROWID;
      INSERT INTO owed (event, destination, attempts)
        SELECT e.rowid, d2.id, d.attempts
        FROM deliveries d
        JOIN events e ON e.id = d.event_id
        JOIN destinations d2 ON d2.rule_arn = d.rule_arn AND d2.target_id = d.target_id AND d2.target_arn = d.target_arn;
      DROP TABLE deliveries;
      -- The owed deliveries in words, for people and tools reading the database.
      CREATE VIEW deliveries AS
        SELECT e.id AS event_id, d.rule_arn, d.target_id, d.target_arn, o.state, o.attempts
        FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination;
    `,
  },
  {
    version: 3,
    name: 'queues: SQS-compatible queues, their messages, FIFO deduplication, message move tasks; owed last_error',
    // A message row is numbered by arrival (seq), which orders a FIFO group and derives its
    // sequence number. visible_at is when it may next be received (its delay, or the end of its
    // visibility timeout); enqueued_at is what retention counts from. Everything else a receiver
    // sees but no query filters on is kept as JSON in meta. Both numbers are AUTOINCREMENT: never
    // reused, so sequence numbers only grow and a re-created queue is a new queue.
    sql: `
      CREATE TABLE queues (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (account, region, name)
      );
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        meta TEXT NOT NULL,
        group_id TEXT,
        sent_at INTEGER NOT NULL,
        enqueued_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_received_at INTEGER,
        receipt TEXT
      );
      CREATE INDEX messages_visible ON messages (queue, visible_at);
      CREATE INDEX messages_enqueued ON messages (queue, enqueued_at);
      CREATE INDEX messages_group ON messages (queue, group_id, seq) WHERE group_id IS NOT NULL;
      CREATE TABLE deduplication (
        queue INTEGER NOT NULL,
        key TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence_number TEXT,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (queue, key)
      ) WITHOUT ROWID;
      -- Owed deliveries' states: 0 pending, 1 delivered, 2 failed (not retried); the last error.
      ALTER TABLE owed ADD COLUMN last_error TEXT;
      CREATE TABLE move_tasks (
        handle TEXT PRIMARY KEY,
        account TEXT NOT NULL, region TEXT NOT NULL,
        source_arn TEXT NOT NULL,
        doc TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'connections and API destinations',
    // A connection's doc is its public view (no credential); its credentials are in `secrets`,
    // sealed with AES-256-GCM under a key kept outside the database (src/connections/secret-box.ts),
    // NULL once deauthorized. `state` is a column so ListConnections can filter on it.
    sql: `
      CREATE TABLE connections (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        doc TEXT NOT NULL,
        secrets TEXT,
        PRIMARY KEY (account, region, name)
      ) WITHOUT ROWID;
      CREATE TABLE api_destinations (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        connection_arn TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name)
      ) WITHOUT ROWID;
      CREATE INDEX api_destinations_by_connection ON api_destinations (connection_arn);
    `,
  },
  {
    version: 5,
    name: 'delivery: retry times, every attempt, destinations by kind',
    // owed.state: 0 pending, 1 delivered, 2 dropped (given up without a dead-letter queue, or the
    // dead-letter queue refused it), 3 dead-lettered. due_at is NULL until a first attempt fails
    // and the delivery waits for a retry; only waiting rows enter owed_waiting, so a fresh
    // delivery costs the ingest path nothing more. destinations.kind says which adapter
    // delivers (src/domain/arn.ts targetKind).
    sql: `
      ALTER TABLE owed ADD COLUMN due_at INTEGER;
      CREATE INDEX owed_waiting ON owed (due_at) WHERE state = 0 AND due_at IS NOT NULL;
      ALTER TABLE destinations ADD COLUMN kind TEXT NOT NULL DEFAULT 'other';
      UPDATE destinations SET kind = CASE
        WHEN target_arn LIKE 'arn:aws:sqs:%' THEN 'queue'
        WHEN target_arn LIKE 'arn:aws:events:%:api-destination/%' THEN 'api-destination'
        WHEN target_arn LIKE 'arn:aws:events:%:event-bus/%' THEN 'bus'
        ELSE 'other' END;
      CREATE TABLE attempts (
        event INTEGER NOT NULL,
        destination INTEGER NOT NULL,
        number INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        error TEXT,
        PRIMARY KEY (event, destination, number)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'dropped deliveries: listed by an index of their own, redriven with a new retry window',
    // Only dropped rows (state 2) enter owed_dropped, so listing them never scans the delivered
    // ones and the ingest path pays nothing. A redrive sets a dropped row back to pending with
    // due_at = now (so the due scan finds it), keeping attempts, last_error and its attempts
    // rows; redriven_at and redriven_after (attempts made before it) start a new retry-policy
    // window: MaximumEventAgeInSeconds counts from redriven_at, MaximumRetryAttempts from
    // redriven_after (docs/dropped-deliveries.md).
    sql: `
      CREATE INDEX owed_dropped ON owed (event, destination) WHERE state = 2;
      ALTER TABLE owed ADD COLUMN redriven_at INTEGER;
      ALTER TABLE owed ADD COLUMN redriven_after INTEGER;
    `,
  },
  {
    version: 7,
    name: 'events forwarded from bus to bus: the buses they came through',
    // via: NULL for an event put by PutEvents; for an event forwarded by a bus target, the JSON
    // array of the ARNs of the buses its ancestors were on, oldest first (not the bus it is on
    // now). A forward to a bus already in via, or to the bus the event is on, is a loop and is
    // refused (src/delivery/bus-target.ts).
    sql: `
      ALTER TABLE events ADD COLUMN via TEXT;
    `,
  },
  {
    version: 8,
    name: 'circuit breakers: every state change of a target\'s breaker',
    // One row per change (docs/circuit-breaker.md), kept for the API and the dashboard; a
    // breaker's current state is its last row (a restart starts every breaker CLOSED again, and
    // writes that change).
    sql: `
      CREATE TABLE breaker_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_arn TEXT NOT NULL,
        target_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        reason TEXT NOT NULL
      );
      CREATE INDEX breaker_changes_by_target ON breaker_changes (rule_arn, target_id, id);
    `,
  },
  {
    version: 9,
    name: 'forwarded events: the delivery that forwarded them',
    // For an event a bus target forwarded (src/delivery/bus-target.ts): the event it was forwarded
    // from and that delivery's rule and target, so a trace follows an event from bus to bus
    // (docs/event-trace.md). Only forwarded events enter the index.
    sql: `
      ALTER TABLE events ADD COLUMN forwarded_from TEXT;
      ALTER TABLE events ADD COLUMN forwarded_rule TEXT;
      ALTER TABLE events ADD COLUMN forwarded_target TEXT;
      CREATE INDEX events_forwarded_from ON events (forwarded_from) WHERE forwarded_from IS NOT NULL;
    `,
  },
];
