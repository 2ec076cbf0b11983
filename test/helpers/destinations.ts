// Routing events to an HTTP sink through EventBridge's own resources, as a user would: one
// connection (created once per client), then per name an API destination at `<sinkUrl>/<name>`,
// a rule on source `<name>`, and one target 'sink' on it.
import assert from 'node:assert/strict';

import { CreateApiDestinationCommand, CreateConnectionCommand, DescribeConnectionCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient, Target } from '@aws-sdk/client-eventbridge';

export interface SinkRoute {
  readonly ruleArn: string;
  readonly destinationArn: string;
}

export interface SinkRouter {
  /**
   * A rule on source `name` whose target 'sink' is the API destination at `<sinkUrl>/<name>`
   * (`rate`: its InvocationRateLimitPerSecond, AWS's default 300 when absent).
   */
  route(name: string, settings?: Partial<Target>, rate?: number): Promise<SinkRoute>;
}

export function sinkRouter(events: EventBridgeClient, sinkUrl: string, scope: { account: string; region: string }): SinkRouter {
  let connectionArn: Promise<string> | undefined;
  const connection = (): Promise<string> =>
    (connectionArn ??= events
      .send(
        new CreateConnectionCommand({
          Name: 'sink',
          AuthorizationType: 'BASIC',
          AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'p' } },
        }),
      )
      .then(
        (c) => c.ConnectionArn as string,
        // Made by an earlier router on the same server (the server was restarted): use it.
        async (e: Error) => {
          if (e.name !== 'ResourceAlreadyExistsException') throw e;
          return (await events.send(new DescribeConnectionCommand({ Name: 'sink' }))).ConnectionArn as string;
        },
      ));
  return {
    async route(name, settings = {}, rate) {
      const destination = await events.send(
        new CreateApiDestinationCommand({
          Name: name,
          ConnectionArn: await connection(),
          InvocationEndpoint: `${sinkUrl}/${name}`,
          HttpMethod: 'POST',
          ...(rate === undefined ? {} : { InvocationRateLimitPerSecond: rate }),
        }),
      );
      await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: [name] }) }));
      const put = await events.send(
        new PutTargetsCommand({
          Rule: name,
          Targets: [{ Id: 'sink', Arn: destination.ApiDestinationArn, RoleArn: `arn:aws:iam::${scope.account}:role/events`, ...settings }],
        }),
      );
      assert.equal(put.FailedEntryCount, 0, JSON.stringify(put.FailedEntries));
      return { ruleArn: `arn:aws:events:${scope.region}:${scope.account}:rule/${name}`, destinationArn: destination.ApiDestinationArn as string };
    },
  };
}
