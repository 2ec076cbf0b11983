/**
 * The EventBridge service on the AWS JSON 1.1 protocol: every operation Switchyard implements,
 * each input validated against AWS's own model (models/events.generated.ts) before its handler
 * runs, so constraint failures read exactly as AWS's.
 */
import { SwitchyardError } from '../domain/errors.js';
import type { Handler, JsonService } from '../http/server.js';
import { busOperations } from './buses.js';
import { eventOperations } from './events.js';
import { EVENTS_MODEL } from './models/events.generated.js';
import { permissionOperations } from './permissions.js';
import { ruleOperations } from './rules.js';
import type { Services } from './services.js';
import { tagOperations } from './tags.js';
import { targetOperations } from './targets.js';
import { validateInput } from './validate.js';

export function eventBridgeService(s: Services): JsonService {
  const handlers: Record<string, Handler> = {
    ...busOperations(s),
    ...ruleOperations(s),
    ...targetOperations(s),
    ...tagOperations(s),
    ...permissionOperations(s),
    ...eventOperations(s),
  };
  const operations = new Map<string, Handler>();
  for (const [name, handler] of Object.entries(handlers)) {
    operations.set(name, async (ctx, input) => {
      const failure = validateInput(EVENTS_MODEL, name, input);
      if (failure !== null) throw new SwitchyardError(failure.code as 'ValidationException', failure.message);
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
