/**
 * The circuit breakers' state changes on SQLite (migration 8), on the store's main connection:
 * a few rows a day per unwell target, written as they happen and read by the API.
 */
import type Database from 'better-sqlite3';
import type { BreakerLog, BreakerRecord } from '../port.js';

type Row = Record<string, unknown>;

export class SqliteBreakerLog implements BreakerLog {
  private readonly sql;

  constructor(db: Database.Database) {
    const p = (text: string): Database.Statement => db.prepare(text);
    this.sql = {
      /** rule_arn, target_id, at, from_state, to_state, reason */
      insert: p('INSERT INTO breaker_changes (rule_arn, target_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?, ?)'),
      /** rule_arn, target_id, limit: the latest changes, newest first */
      latest: p('SELECT at, from_state, to_state, reason FROM breaker_changes WHERE rule_arn = ? AND target_id = ? ORDER BY id DESC LIMIT ?'),
      leftOpen: p(
        `SELECT rule_arn, target_id, at, from_state, to_state, reason FROM breaker_changes
         WHERE id IN (SELECT max(id) FROM breaker_changes GROUP BY rule_arn, target_id) AND to_state <> 'CLOSED'`,
      ),
    };
  }

  async record(r: BreakerRecord): Promise<void> {
    this.sql.insert.run(r.ruleArn, r.targetId, r.at, r.from, r.to, r.reason);
  }

  async latest(ruleArn: string, targetId: string, limit: number): Promise<BreakerRecord[]> {
    return (this.sql.latest.all(ruleArn, targetId, limit) as Row[]).map((row) => recordOf({ ...row, rule_arn: ruleArn, target_id: targetId }));
  }

  async leftOpen(): Promise<BreakerRecord[]> {
    return (this.sql.leftOpen.all() as Row[]).map(recordOf);
  }
}

function recordOf(row: Row): BreakerRecord {
  return {
    ruleArn: row.rule_arn as string,
    targetId: row.target_id as string,
    at: row.at as number,
    from: row.from_state as BreakerRecord['from'],
    to: row.to_state as BreakerRecord['to'],
    reason: row.reason as string,
  };
}
