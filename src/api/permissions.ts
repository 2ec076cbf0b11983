/**
 * Bus permissions: PutPermission and RemovePermission edit the bus's resource policy (shown by
 * DescribeEventBus); PutEvents from another account consults it (src/domain/policy.ts).
 */
import { SwitchyardError } from '../domain/errors.js';
import type { EventBus } from '../domain/model.js';
import { parsePolicy } from '../domain/policy.js';
import type { PolicyDocument, Statement } from '../domain/policy.js';
import type { Handler } from '../http/server.js';
import { requireBus } from './buses.js';
import { optObject, optString } from './input.js';
import type { Services } from './services.js';

export const MESSAGES = {
  statementNotFound: 'Statement with the provided id does not exist.',
  noPolicy: 'EventBus does not have a policy.',
  badPolicy: 'This policy contains invalid Json',
  needStatement: 'Parameter StatementId is required.',
  onlyPutEvents: "Action must be 'events:PutEvents'.",
  principal: 'Principal must be a 12-digit account id or *.',
};

async function savePolicy(s: Services, bus: EventBus, policy: PolicyDocument | undefined): Promise<void> {
  const { policy: _old, ...rest } = bus;
  const updated: EventBus = {
    ...rest,
    ...(policy === undefined ? {} : { policy: JSON.stringify(policy) }),
    modifiedAt: s.now(),
  };
  await s.store.updateBus(updated);
}

export function permissionOperations(s: Services): Record<string, Handler> {
  return {
    async PutPermission(ctx, input) {
      const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
      const policyText = optString(input, 'Policy');
      if (policyText !== undefined) {
        try {
          parsePolicy(policyText);
        } catch {
          throw new SwitchyardError('ValidationException', MESSAGES.badPolicy);
        }
        await savePolicy(s, bus, JSON.parse(policyText) as PolicyDocument);
        return {};
      }
      const sid = optString(input, 'StatementId');
      const action = optString(input, 'Action');
      const principal = optString(input, 'Principal');
      if (sid === undefined) throw new SwitchyardError('ValidationException', MESSAGES.needStatement);
      if (action !== 'events:PutEvents') throw new SwitchyardError('ValidationException', MESSAGES.onlyPutEvents);
      if (principal === undefined || !(principal === '*' || /^\d{12}$/.test(principal))) {
        throw new SwitchyardError('ValidationException', MESSAGES.principal);
      }
      const condition = optObject(input, 'Condition');
      const statement: Statement = {
        Sid: sid,
        Effect: 'Allow',
        Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
        Action: 'events:PutEvents',
        Resource: bus.arn,
        ...(condition === undefined
          ? {}
          : { Condition: { [String(condition.Type)]: { [String(condition.Key)]: condition.Value } } }),
      };
      // A statement id that exists is replaced, as AWS does.
      const policy = parsePolicy(bus.policy);
      const others = policy.Statement.filter((st) => st.Sid !== sid);
      await savePolicy(s, bus, { Version: policy.Version, Statement: [...others, statement] });
      return {};
    },

    async RemovePermission(ctx, input) {
      const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
      if (input.RemoveAllPermissions === true) {
        if (bus.policy === undefined) throw new SwitchyardError('ResourceNotFoundException', MESSAGES.noPolicy);
        await savePolicy(s, bus, undefined);
        return {};
      }
      const sid = optString(input, 'StatementId');
      if (sid === undefined) throw new SwitchyardError('ValidationException', MESSAGES.needStatement);
      const policy = parsePolicy(bus.policy);
      const kept = policy.Statement.filter((st) => st.Sid !== sid);
      if (kept.length === policy.Statement.length) {
        throw new SwitchyardError('ResourceNotFoundException', MESSAGES.statementNotFound);
      }
      await savePolicy(s, bus, kept.length === 0 ? undefined : { Version: policy.Version, Statement: kept });
      return {};
    },
  };
}
