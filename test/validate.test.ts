// Request validation against AWS's own models (src/api/validate.ts, src/api/models/*.generated.ts).
//
// Where each expected message comes from. "Recorded" means an answer of real AWS kept by someone
// who called it; the rest are decisions, marked as such in the test names.
//  - Format, member-order errors, two errors on one member (length before pattern), enum list:
//    EventBridge CreateConnection as recorded in localstack tests/aws/services/events/
//    test_events.snapshot.json (test_create_connection_validations).
//  - List element paths `targets.1.member.id`: same snapshot (test_put_target_id_validation).
//  - Structures rendered `PutEventsRequestEntry(time=null, source=..., ..., internalMetadata=null)`
//    and lists `[a, b]`: same snapshot (test_put_events_exceed_limit_ten_entries).
//  - `Map keys must satisfy constraint: [max, min, pattern]` at
//    'targets.1.member.inputTransformer.inputPathsMap': an EventBridge user's PutTargets error.
//  - `Member must satisfy constraint: [...]` for lists of strings: ACM RequestCertificate errors.
//  - Numbers quoted (`Value '0' at 'limit'`): DynamoDB (boto/boto#1584), Cognito
//    (aws/aws-sdk-js#2193), AppConfig (rebuy-de/aws-nuke#1074).
//  - At most ten errors, counted as ten: Bedrock "10 validation errors detected" for more nulls;
//    kinesalite and dynalite (written against Kinesis/DynamoDB) stop at ten.
//  - Sensitive values left out (`Value at 'password'`): Cognito, OpenSearch masterUserName errors.
//  - Unknown members ignored, explicit null = absent: dynalite's ListTables tests.
//  - `STRING_VALUE can not be converted to an Integer` (SerializationException): real SQS
//    (async-aws/aws#1667); `Start of structure or map found where not expected.`: SQS emulator
//    tests and Kinesis; EventBridge's own deserializer messages were not found recorded anywhere,
//    so the same Coral wording is assumed for it.
//  - SQS `MissingParameter` "The request must contain the parameter X.": every SQS emulator agrees;
//    not seen recorded from real AWS for the JSON protocol.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { EVENTS_MODEL } from '../src/api/models/events.generated.js';
import { SQS_MODEL } from '../src/api/models/sqs.generated.js';
import { MAX_REPORTED_ERRORS, validateInput } from '../src/api/validate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULE_NAME_PATTERN = String.raw`[\.\-_A-Za-z0-9]+`;

function events(operation: string, input: unknown): ReturnType<typeof validateInput> {
  return validateInput(EVENTS_MODEL, operation, input);
}

function invalid(...errors: string[]): { code: 'ValidationException'; message: string } {
  const noun = errors.length === 1 ? 'error' : 'errors';
  return { code: 'ValidationException', message: `${errors.length} validation ${noun} detected: ${errors.join('; ')}` };
}

function serialization(message: string): { code: 'SerializationException'; message: string } {
  return { code: 'SerializationException', message };
}

describe('EventBridge validation messages', () => {
  it('accepts a valid PutRule and ignores members the model does not know', () => {
    assert.equal(events('PutRule', { Name: 'my-rule', State: 'ENABLED', SdkExtra: { x: 1 } }), null);
    assert.equal(events('PutRule', { Name: 'my-rule', Description: null, Tags: null }), null);
  });

  it('PutRule: pattern, required, enum, length', () => {
    assert.deepEqual(
      events('PutRule', { Name: 'my bus' }),
      invalid(
        `Value 'my bus' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ${RULE_NAME_PATTERN}`,
      ),
    );
    assert.deepEqual(
      events('PutRule', { State: 'ENABLED' }),
      invalid("Value null at 'name' failed to satisfy constraint: Member must not be null"),
    );
    assert.deepEqual(
      events('PutRule', { Name: 'r', State: 'ON' }),
      invalid(
        "Value 'ON' at 'state' failed to satisfy constraint: Member must satisfy enum value set: " +
          '[ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]',
      ),
    );
    const long = 'r'.repeat(65);
    assert.deepEqual(
      events('PutRule', { Name: long, Description: 'd'.repeat(513) }),
      invalid(
        `Value '${long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64`,
        `Value '${'d'.repeat(513)}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 512`,
      ),
    );
  });

  it('reproduces the recorded CreateConnection answer (two errors on one member, then an enum)', () => {
    const name = 'This should fail with two errors 123467890123412341234123412341234';
    assert.deepEqual(
      events('CreateConnection', { Name: name, AuthorizationType: 'INVALID', AuthParameters: {} }),
      invalid(
        `Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64`,
        `Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ${RULE_NAME_PATTERN}`,
        "Value 'INVALID' at 'authorizationType' failed to satisfy constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]",
      ),
    );
  });

  it('leaves sensitive values out of the message', () => {
    const input = {
      Name: 'c',
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'k'.repeat(513) } },
    };
    assert.deepEqual(
      events('CreateConnection', input),
      invalid(
        "Value at 'authParameters.apiKeyAuthParameters.apiKeyValue' failed to satisfy constraint: Member must have length less than or equal to 512",
      ),
    );
  });

  it('PutTargets: nested list and structure paths', () => {
    assert.deepEqual(
      events('PutTargets', {
        Rule: 'r',
        Targets: [
          { Id: '!@#$@!#$', Arn: 'arn:aws:sqs:us-east-1:000000000000:q', RetryPolicy: { MaximumRetryAttempts: 200 } },
          { Id: 't2', RetryPolicy: { MaximumEventAgeInSeconds: 59 } },
        ],
      }),
      invalid(
        `Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: ${RULE_NAME_PATTERN}`,
        "Value '200' at 'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185",
        "Value null at 'targets.2.member.arn' failed to satisfy constraint: Member must not be null",
        "Value '59' at 'targets.2.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60",
      ),
    );
    assert.deepEqual(
      events('PutTargets', { Rule: 'r', Targets: [{ Id: 't', Arn: 'a', RetryPolicy: { MaximumRetryAttempts: -1 } }] }),
      invalid(
        "Value '-1' at 'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to 0",
      ),
    );
  });

  it('PutTargets: a map whose keys break their pattern reports once, listing every key constraint', () => {
    const target = { Id: 't', Arn: 'a', InputTransformer: { InputTemplate: '"<x>"', InputPathsMap: { 'de onde?': '$.detail.a' } } };
    assert.deepEqual(
      events('PutTargets', { Rule: 'r', Targets: [target] }),
      invalid(
        "Value '{de onde?=$.detail.a}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: " +
          'Map keys must satisfy constraint: [Member must have length less than or equal to 256, ' +
          String.raw`Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [A-Za-z0-9\_\-]+]`,
      ),
    );
  });

  it('RemoveTargets: a list of strings reports once, listing every element constraint', () => {
    assert.deepEqual(
      events('RemoveTargets', { Rule: 'r', Ids: ['ok', 'not ok'] }),
      invalid(
        "Value '[ok, not ok]' at 'ids' failed to satisfy constraint: Member must satisfy constraint: " +
          '[Member must have length less than or equal to 64, Member must have length greater than or equal to 1, ' +
          `Member must satisfy regular expression pattern: ${RULE_NAME_PATTERN}]`,
      ),
    );
  });

  it('PutEvents: entries count between 1 and 10, structures rendered as AWS prints them', () => {
    assert.deepEqual(
      events('PutEvents', { Entries: [] }),
      invalid("Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    );
    assert.deepEqual(
      events('PutEvents', {}),
      invalid("Value null at 'entries' failed to satisfy constraint: Member must not be null"),
    );
    const detail = '{"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}';
    const entry = { Source: 'core.update-account-command', DetailType: 'core.update-account-command', Detail: detail, EventBusName: 'my-bus' };
    const printed =
      `PutEventsRequestEntry(time=null, source=core.update-account-command, resources=null, ` +
      `detailType=core.update-account-command, detail=${detail}, eventBusName=my-bus, traceHeader=null, ` +
      'kmsKeyIdentifier=null, internalMetadata=null)';
    assert.deepEqual(
      events('PutEvents', { Entries: Array.from({ length: 11 }, () => entry) }),
      invalid(
        `Value '[${Array.from({ length: 11 }, () => printed).join(', ')}]' at 'entries' failed to satisfy constraint: ` +
          'Member must have length less than or equal to 10',
      ),
    );
    assert.equal(events('PutEvents', { Entries: Array.from({ length: 10 }, () => entry) }), null);
  });

  it('ListRules: limit between 1 and 100', () => {
    assert.deepEqual(
      events('ListRules', { Limit: 0 }),
      invalid("Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
    );
    assert.deepEqual(
      events('ListRules', { Limit: 101 }),
      invalid("Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"),
    );
    assert.equal(events('ListRules', { Limit: 100, NamePrefix: 'a' }), null);
    assert.equal(events('ListRules', undefined), null);
  });

  it('CreateEventBus: name pattern, length and presence', () => {
    assert.deepEqual(
      events('CreateEventBus', { Name: 'my bus' }),
      invalid(
        String.raw`Value 'my bus' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\.\-_A-Za-z0-9]+`,
      ),
    );
    assert.deepEqual(
      events('CreateEventBus', { Name: '' }),
      invalid(
        "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
        String.raw`Value '' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\.\-_A-Za-z0-9]+`,
      ),
    );
    assert.deepEqual(
      events('CreateEventBus', {}),
      invalid("Value null at 'name' failed to satisfy constraint: Member must not be null"),
    );
    assert.equal(events('CreateEventBus', { Name: 'orders/bus' }), null);
  });

  it(`reports at most ${MAX_REPORTED_ERRORS} errors`, () => {
    const failure = events('PutTargets', { Rule: 'r', Targets: Array.from({ length: 12 }, () => ({})) });
    assert.ok(failure !== null);
    assert.equal(failure.code, 'ValidationException');
    assert.match(failure.message, /^10 validation errors detected: /);
    assert.equal(failure.message.split('; ').length, MAX_REPORTED_ERRORS);
    assert.ok(failure.message.endsWith("Value null at 'targets.5.member.arn' failed to satisfy constraint: Member must not be null"));
  });

  it('lengths count code points, as Java does', () => {
    assert.equal(events('PutRule', { Name: 'r', Description: '\u{1F600}'.repeat(512) }), null);
  });

  it('type mismatches are SerializationException, first one in model order', () => {
    assert.deepEqual(events('PutRule', { Name: 5 }), serialization('NUMBER_VALUE can not be converted to an String'));
    assert.deepEqual(events('PutRule', { Name: 1.5 }), serialization('DECIMAL_VALUE can not be converted to an String'));
    assert.deepEqual(events('PutRule', { Name: true }), serialization('TRUE_VALUE can not be converted to an String'));
    assert.deepEqual(events('ListRules', { Limit: '10' }), serialization('STRING_VALUE can not be converted to an Integer'));
    assert.deepEqual(
      events('PutEvents', { Entries: [{ Detail: { a: 1 } }] }),
      serialization('Start of structure or map found where not expected.'),
    );
    assert.deepEqual(events('PutEvents', { Entries: { Source: 's' } }), serialization('Start of structure or map found where not expected.'));
    assert.deepEqual(events('PutRule', { Name: ['r'] }), serialization('Start of list found where not expected'));
    assert.deepEqual(events('PutEvents', { Entries: 'x' }), serialization('Expected list or null'));
    // Model order decides which mismatch is reported, whatever the JSON order.
    assert.deepEqual(events('ListRules', { Limit: 'x', NamePrefix: 3 }), serialization('NUMBER_VALUE can not be converted to an String'));
    // Deserialization fails before constraints are looked at.
    assert.deepEqual(events('PutRule', { Name: 'bad name', State: 7 }), serialization('NUMBER_VALUE can not be converted to an String'));
  });

  it('refuses an operation the model does not have', () => {
    assert.throws(() => events('PutEverything', {}), RangeError);
  });
});

describe('SQS validation (Query-compatible JSON)', () => {
  const sqs = (operation: string, input: unknown): ReturnType<typeof validateInput> =>
    validateInput(SQS_MODEL, operation, input);

  it('CreateQueue: a missing or empty QueueName is MissingParameter', () => {
    const missing = { code: 'MissingParameter', message: 'The request must contain the parameter QueueName.' };
    assert.deepEqual(sqs('CreateQueue', {}), missing);
    assert.deepEqual(sqs('CreateQueue', { QueueName: '' }), missing);
    assert.deepEqual(sqs('CreateQueue', null), missing);
  });

  it('CreateQueue: attribute names are left to the handler; numbers for strings are cast', () => {
    assert.equal(sqs('CreateQueue', { QueueName: 'q', Attributes: { VisibilityTimeout: '30' }, tags: { team: 'a' } }), null);
    assert.equal(sqs('CreateQueue', { QueueName: 'q', Attributes: { NotAnAttribute: 'x' } }), null);
    assert.equal(sqs('CreateQueue', { QueueName: 'q', Attributes: { DelaySeconds: 5 } }), null);
  });

  it('CreateQueue and SendMessage: JSON type mismatches', () => {
    assert.deepEqual(sqs('CreateQueue', { QueueName: 'q', Attributes: [] }), serialization('Start of list found where not expected'));
    assert.deepEqual(sqs('CreateQueue', { QueueName: 'q', tags: 'a=b' }), serialization('Expected map or null'));
    assert.deepEqual(
      sqs('SendMessage', { QueueUrl: 'q', MessageBody: {} }),
      serialization('Start of structure or map found where not expected.'),
    );
    assert.deepEqual(
      sqs('SendMessage', { QueueUrl: 'q', MessageBody: 'b', DelaySeconds: 'invalid' }),
      serialization('STRING_VALUE can not be converted to an Integer'),
    );
  });
});

/** Can this machine run the generator (python3 with botocore, or BOTOCORE_DATA)? */
function botocoreAvailable(): boolean {
  if (process.env.BOTOCORE_DATA) return true;
  try {
    execFileSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('generated models', () => {
  const available = botocoreAvailable();
  const required = process.env.SWITCHYARD_REQUIRE_SERVICES === '1';
  const skip =
    !available && !required ? 'python3 with botocore is not installed (and BOTOCORE_DATA is unset)' : false;

  it('are what scripts/gen-models.mjs generates from the installed botocore', { skip }, () => {
    const run = spawnSync(process.execPath, ['scripts/gen-models.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, `gen-models --check failed:\n${run.stdout}${run.stderr}`);
  });

  it('carry only validation data', () => {
    for (const shape of Object.values(EVENTS_MODEL.shapes)) {
      assert.ok(!('documentation' in shape));
    }
    assert.equal(EVENTS_MODEL.operations['PutEvents']?.input, 'PutEventsRequest');
    assert.equal(SQS_MODEL.metadata.awsQueryCompatible, true);
  });
});
