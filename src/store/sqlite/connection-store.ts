/**
 * Connections and API destinations on SQLite, on the store's main connection (used by
 * sqlite-store.ts, which forwards the port's methods here). A connection row keeps the public
 * document in `doc` and the sealed credentials in `secrets`, never one inside the other.
 *
 * Each statement is prepared once, below, with its inputs named.
 */
import type Database from 'better-sqlite3';
import type { ApiDestination, Connection } from '../../domain/connections.js';
import type { Scope } from '../../domain/model.js';
import type { Page } from '../port.js';

type Row = Record<string, unknown>;

function likePrefix(prefix: string | undefined): string {
  return `${(prefix ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function connectionOf(row: Row | undefined): Connection | undefined {
  if (row === undefined) return undefined;
  const connection = JSON.parse(row.doc as string) as Connection;
  return row.secrets === null ? connection : { ...connection, sealedSecrets: row.secrets as string };
}

function destinationOf(row: Row | undefined): ApiDestination | undefined {
  return row === undefined ? undefined : (JSON.parse(row.doc as string) as ApiDestination);
}

/** The document of a connection: everything but its sealed secrets. */
function publicDoc(connection: Connection): string {
  const { sealedSecrets: _sealed, ...rest } = connection;
  return JSON.stringify(rest);
}

export class SqliteConnectionStore {
  private readonly sql;

  constructor(db: Database.Database) {
    const p = (text: string): Database.Statement => db.prepare(text);
    this.sql = {
      /** account, region, name, arn, state, doc, secrets */
      insertConnection: p('INSERT OR IGNORE INTO connections (account, region, name, arn, state, doc, secrets) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      /** state, doc, secrets, arn */
      updateConnection: p('UPDATE connections SET state = ?, doc = ?, secrets = ? WHERE arn = ?'),
      /** account, region, name */
      getConnection: p('SELECT doc, secrets FROM connections WHERE account = ? AND region = ? AND name = ?'),
      /** arn */
      getConnectionByArn: p('SELECT doc, secrets FROM connections WHERE arn = ?'),
      /** account, region, after, prefix (LIKE, escaped with \), state twice (NULL: any), limit */
      listConnections: p(
        `SELECT doc, secrets FROM connections WHERE account = ? AND region = ? AND name > ? AND name LIKE ? ESCAPE '\\'
         AND (? IS NULL OR state = ?) ORDER BY name LIMIT ?`,
      ),
      /** account, region, name */
      deleteConnection: p('DELETE FROM connections WHERE account = ? AND region = ? AND name = ?'),
      /** account, region, name, arn, connection_arn, doc */
      insertApiDestination: p('INSERT OR IGNORE INTO api_destinations (account, region, name, arn, connection_arn, doc) VALUES (?, ?, ?, ?, ?, ?)'),
      /** connection_arn, doc, arn */
      updateApiDestination: p('UPDATE api_destinations SET connection_arn = ?, doc = ? WHERE arn = ?'),
      /** account, region, name */
      getApiDestination: p('SELECT doc FROM api_destinations WHERE account = ? AND region = ? AND name = ?'),
      /** arn */
      getApiDestinationByArn: p('SELECT doc FROM api_destinations WHERE arn = ?'),
      /** account, region, after, prefix (LIKE, escaped with \), connection_arn twice (NULL: any), limit */
      listApiDestinations: p(
        `SELECT doc FROM api_destinations WHERE account = ? AND region = ? AND name > ? AND name LIKE ? ESCAPE '\\'
         AND (? IS NULL OR connection_arn = ?) ORDER BY name LIMIT ?`,
      ),
      /** account, region, name */
      deleteApiDestination: p('DELETE FROM api_destinations WHERE account = ? AND region = ? AND name = ?'),
    };
  }

  /**
   * Connections and API destinations by ARN, as read: delivery reads them on every attempt. This
   * process is the database's only writer, and every write here empties the cache.
   */
  private readonly connectionsByArn = new Map<string, Connection | undefined>();
  private readonly destinationsByArn = new Map<string, ApiDestination | undefined>();

  private changed(): void {
    this.connectionsByArn.clear();
    this.destinationsByArn.clear();
  }

  insertConnection(c: Connection): boolean {
    this.changed();
    return this.sql.insertConnection.run(c.account, c.region, c.name, c.arn, c.state, publicDoc(c), c.sealedSecrets ?? null).changes === 1;
  }

  getConnection(scope: Scope, name: string): Connection | undefined {
    return connectionOf(this.sql.getConnection.get(scope.account, scope.region, name) as Row | undefined);
  }

  getConnectionByArn(arn: string): Connection | undefined {
    if (this.connectionsByArn.has(arn)) return this.connectionsByArn.get(arn);
    const c = connectionOf(this.sql.getConnectionByArn.get(arn) as Row | undefined);
    this.connectionsByArn.set(arn, c);
    return c;
  }

  listConnections(scope: Scope, page: Page & { readonly state?: string }): Connection[] {
    const rows = this.sql.listConnections.all(
      scope.account,
      scope.region,
      page.after ?? '',
      likePrefix(page.namePrefix),
      page.state ?? null,
      page.state ?? null,
      page.limit,
    ) as Row[];
    return rows.map((r) => connectionOf(r) as Connection);
  }

  updateConnection(c: Connection): void {
    this.changed();
    this.sql.updateConnection.run(c.state, publicDoc(c), c.sealedSecrets ?? null, c.arn);
  }

  deleteConnection(scope: Scope, name: string): void {
    this.changed();
    this.sql.deleteConnection.run(scope.account, scope.region, name);
  }

  insertApiDestination(d: ApiDestination): boolean {
    this.changed();
    return this.sql.insertApiDestination.run(d.account, d.region, d.name, d.arn, d.connectionArn, JSON.stringify(d)).changes === 1;
  }

  getApiDestination(scope: Scope, name: string): ApiDestination | undefined {
    return destinationOf(this.sql.getApiDestination.get(scope.account, scope.region, name) as Row | undefined);
  }

  getApiDestinationByArn(arn: string): ApiDestination | undefined {
    if (this.destinationsByArn.has(arn)) return this.destinationsByArn.get(arn);
    const d = destinationOf(this.sql.getApiDestinationByArn.get(arn) as Row | undefined);
    this.destinationsByArn.set(arn, d);
    return d;
  }

  listApiDestinations(scope: Scope, page: Page & { readonly connectionArn?: string }): ApiDestination[] {
    const rows = this.sql.listApiDestinations.all(
      scope.account,
      scope.region,
      page.after ?? '',
      likePrefix(page.namePrefix),
      page.connectionArn ?? null,
      page.connectionArn ?? null,
      page.limit,
    ) as Row[];
    return rows.map((r) => destinationOf(r) as ApiDestination);
  }

  updateApiDestination(d: ApiDestination): void {
    this.changed();
    this.sql.updateApiDestination.run(d.connectionArn, JSON.stringify(d), d.arn);
  }

  deleteApiDestination(scope: Scope, name: string): void {
    this.changed();
    this.sql.deleteApiDestination.run(scope.account, scope.region, name);
  }
}
