/**
 * The EventBridge service on the AWS JSON 1.1 protocol: every operation Switchyard implements,
 * each input validated against AWS's own model (models/events.generated.ts) before its handler
 * runs, so constraint failures read exactly as AWS's.
 */
import { SwitchyardError } from '../domain/errors.js';
import type { Handler, JsonService } from '../http/server.js';
import { apiDestinationOperations } from './api-destinations.js';
import { busOperations } from './buses.js';
import { connectionOperations } from './connections.js';
import { eventOperations } from './events.js';
import { EVENTS_MODEL } from './models/events.generated.js';
import { permissionOperations } from './permissions.js';
import { ruleOperations } from './rules.js';
import type { Services } from './services.js';
import { tagOperations } from './tags.js';
import { targetOperations } from './targets.js';
import { validateInput } from './validate.js';

const BUS_NAME_OR_ARN = /^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[.\-_A-Za-z0-9]+$/;
const ENTRY_MEMBERS = new Set(['Time', 'Source', 'Resources', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader']);

function isPlainEntry(e: unknown): boolean {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return false;
  for (const [k, v] of Object.entries(e)) {
    if (!ENTRY_MEMBERS.has(k)) return false;
    if (v === null) continue;
    switch (k) {
      case 'Time':
        if (typeof v !== 'number') return false;
        break;
      case 'Resources':
        if (!Array.isArray(v) || !v.every((r) => typeof r === 'string' && r.length <= 2048)) return false;
        break;
      case 'EventBusName':
        if (typeof v !== 'string' || v.length < 1 || v.length > 1600 || !BUS_NAME_OR_ARN.test(v)) return false;
        break;
      case 'TraceHeader':
        if (typeof v !== 'string' || v.length < 1 || v.length > 500) return false;
        break;
      default:
        if (typeof v !== 'string') return false;
    }
  }
  return true;
}

/**
 * Inputs that certainly pass model validation, recognised cheaply, for the hot operations: a
 * request that is not plainly valid goes through the full model validation (validate.ts), which
 * alone words the errors. Kept to exactly the model's rules for these shapes (see
 * test/eventbridge-fast-path.test.ts).
 */
export const PLAINLY_VALID: Record<string, (input: Record<string, unknown>) => boolean> = {
  PutEvents(input) {
    const entries = input.Entries;
    for (const k of Object.keys(input)) if (k !== 'Entries') return false;
    return Array.isArray(entries) && entries.length >= 1 && entries.length <= 10 && entries.every(isPlainEntry);
  },
};

export function eventBridgeService(s: Services): JsonService {
  const handlers: Record<string, Handler> = {
    ...busOperations(s),
    ...ruleOperations(s),
    ...targetOperations(s),
    ...tagOperations(s),
    ...permissionOperations(s),
    ...eventOperations(s),
    ...connectionOperations(s),
    ...apiDestinationOperations(s),
  };
  const operations = new Map<string, Handler>();
  for (const [name, handler] of Object.entries(handlers)) {
    const plainlyValid = PLAINLY_VALID[name];
    operations.set(name, async (ctx, input) => {
      if (plainlyValid === undefined || !plainlyValid(input)) {
        const failure = validateInput(EVENTS_MODEL, name, input);
        if (failure !== null) throw new SwitchyardError(failure.code as 'ValidationException', failure.message);
      }
      return handler(ctx, input);
    });
  }
  return {
    targetPrefix: 'AWSEvents',
    signingName: 'events',
    contentType: 'application/x-amz-json-1.1',
    operations,
  };
}
