/**
 * What the API handlers work with: the store, the router, group commit, the clock and the options.
 * Built once at start (src/server.ts) and passed to each handler family.
 */
import type { Options } from '../config/options.js';
import type { ConnectionVault } from '../connections/vault.js';
import type { TargetOptionsRegistry } from '../delivery/target-options.js';
import type { AcceptedEvent } from '../domain/model.js';
import type { GroupCommit } from '../ingest/group-commit.js';
import type { Pattern } from '../pattern/index.js';
import type { Router } from '../rules/router.js';
import type { Store } from '../store/port.js';

export interface Services {
  readonly options: Options;
  readonly store: Store;
  readonly router: Router;
  readonly commit: GroupCommit<AcceptedEvent>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly newId: () => string;
  /** Parse a pattern with the configured limits (throws PatternError). */
  readonly compilePattern: (text: string) => Pattern;
  /** Seals and opens connection secrets (src/connections/vault.ts). */
  readonly vault: ConnectionVault;
  /** Switchyard's target options, from the rules' `switchyard:` tags (src/delivery/target-options.ts). */
  readonly targetOptions: TargetOptionsRegistry;
}
