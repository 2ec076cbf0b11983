// What a target receives (src/transform): every example of AWS's "Amazon EventBridge input
// transformation" page and of the InputTransformer API reference with AWS's documented output,
// the deliveries LocalStack recorded from AWS (tests/aws/services/events/test_events_inputs.py,
// validated snapshots), the quoting table, and the decisions of docs/input-transformation.md §6.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL, parsePath, selectPath } from '../src/transform/json-path.js';
import { isJsonTemplate } from '../src/transform/template.js';
import type { TargetInput, TransformContext } from '../src/transform/index.js';
import { targetBody } from '../src/transform/index.js';

const CTX: TransformContext = {
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ruleName: 'example',
  ingestionTime: '2015-11-11T21:29:55Z',
};

/** The example Amazon EC2 event of AWS's input transformation page, as Switchyard writes envelopes. */
const EC2 =
  '{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"EC2 Instance State-change Notification",' +
  '"source":"aws.ec2","account":"123456789012","time":"2015-11-11T21:29:54Z","region":"us-east-1",' +
  '"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],' +
  '"detail":{"instance-id":"i-0123456789","state":"RUNNING"}}';

/** The page's Input Path. */
const EC2_PATHS = {
  timestamp: '$.time',
  instance: '$.detail.instance-id',
  state: '$.detail.state',
  resource: '$.resources[0]',
};

/** The body for `template` over `envelope` with `paths` (the page's by default). */
function transform(template: string, paths: Record<string, string> = EC2_PATHS, envelope = EC2): string {
  return targetBody(envelope, { InputTransformer: { InputPathsMap: paths, InputTemplate: template } }, CTX);
}

/** An envelope with `detail` (other members as the EC2 example's). */
function withDetail(detail: unknown): string {
  const e = JSON.parse(EC2) as Record<string, unknown>;
  return JSON.stringify({ ...e, detail });
}

describe('no input configuration, Input and InputPath', () => {
  it('without input configuration the target receives the envelope text itself', () => {
    const spaced = EC2.replace('"detail":{', '"detail": {\n  ');
    assert.equal(targetBody(EC2, {}, CTX), EC2);
    assert.equal(targetBody(spaced, {}, CTX), spaced);
  });

  it('Input is sent as it is, whatever the event (the envelope is not even read)', () => {
    assert.equal(targetBody(EC2, { Input: '{"a": 1,  "b":[ 2 ]}' }, CTX), '{"a": 1,  "b":[ 2 ]}');
    assert.equal(targetBody(EC2, { Input: '"hello"' }, CTX), '"hello"');
    assert.equal(targetBody('not JSON', { Input: '42' }, CTX), '42');
  });

  it('InputPath sends the selected value as compact JSON', () => {
    const path = (p: string, envelope = EC2): string => targetBody(envelope, { InputPath: p }, CTX);
    assert.equal(path('$'), EC2);
    assert.equal(path('$', EC2.replace('"detail":{', '"detail": {\n  ')), EC2, 'the whole event, compact');
    assert.equal(path('$.detail'), '{"instance-id":"i-0123456789","state":"RUNNING"}');
    assert.equal(path('$.detail.state'), '"RUNNING"');
    assert.equal(path('$.detail-type'), '"EC2 Instance State-change Notification"');
    assert.equal(path('$.resources'), '["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"]');
    assert.equal(path('$.resources[0]'), '"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"');
    const order = withDetail({ items: [{ sku: 'A-1', qty: 2, gift: false, note: null }], total: 12.5, tags: [] });
    assert.equal(path('$.detail.items[0].sku', order), '"A-1"');
    assert.equal(path('$.detail.items[0]', order), '{"sku":"A-1","qty":2,"gift":false,"note":null}');
    assert.equal(path('$.detail.items[0].qty', order), '2');
    assert.equal(path('$.detail.items[0].gift', order), 'false');
    assert.equal(path('$.detail.items[0].note', order), 'null');
    assert.equal(path('$.detail.total', order), '12.5');
    assert.equal(path('$.detail.tags', order), '[]');
  });

  it('InputPath as LocalStack recorded AWS delivering it (validated snapshots)', () => {
    const update = withDetail({ command: 'update-account', payload: { acc_id: '0a787ecb-4015', sf_id: 'baz' } });
    const nested = withDetail({
      command: 'update-account',
      payload: { acc_id: '0a787ecb-4015', payload: { message: 'baz', id: '123' } },
    });
    assert.equal(
      targetBody(update, { InputPath: '$.detail' }, CTX),
      '{"command":"update-account","payload":{"acc_id":"0a787ecb-4015","sf_id":"baz"}}',
    );
    assert.equal(targetBody(update, { InputPath: '$.detail.payload' }, CTX), '{"acc_id":"0a787ecb-4015","sf_id":"baz"}');
    assert.equal(
      targetBody(nested, { InputPath: '$.detail.payload' }, CTX),
      '{"acc_id":"0a787ecb-4015","payload":{"message":"baz","id":"123"}}',
    );
    assert.equal(targetBody(update, { InputPath: '$.detail.payload.sf_id' }, CTX), '"baz"');
  });

  it('InputPath that selects nothing gives the empty body (decision: nothing to send)', () => {
    for (const p of ['$.detail.missing', '$.detail.state.deeper', '$.resources[1]', '$.detail[0]', '$.resources.0']) {
      assert.equal(targetBody(EC2, { InputPath: p }, CTX), '', p);
    }
  });
});

describe("AWS's input transformation page: every example, with the documented output", () => {
  it('Simple string', () => {
    assert.equal(transform('"instance <instance> is in <state>"'), '"instance i-0123456789 is in RUNNING"');
  });

  it('String with escaped quotes (the console form, and the form the AWS CLI ends up sending)', () => {
    assert.equal(transform('"instance \\"<instance>\\" is in <state>"'), '"instance \\"i-0123456789\\" is in RUNNING"');
    assert.equal(transform('"instance "<instance>" is in <state>"'), '"instance "i-0123456789" is in RUNNING"');
  });

  it('Simple JSON', () => {
    assert.equal(
      transform('{\n  "instance" : <instance>,\n  "state": <state>\n}'),
      '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}',
    );
  });

  it('JSON with strings and variables', () => {
    assert.equal(
      transform('{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}'),
      '{\n "instance" : "i-0123456789",\n "state": "RUNNING",\n "instanceStatus": "instance \\"i-0123456789\\" is in RUNNING"\n}',
    );
  });

  it('JSON with a mix of variables and static information', () => {
    const body = transform('{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}\n');
    // The page lays the output's array out on several lines; the template's own layout is kept.
    assert.equal(body, '{\n  "instance" : "i-0123456789",\n  "state": [ 9, "RUNNING", true ],\n  "Transformed" : "Yes"\n}\n');
    assert.deepEqual(JSON.parse(body), { instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' });
  });

  it('Including reserved variables in JSON (the page shows <aws.events.event.json>; older versions <aws.events.event>)', () => {
    const template = (v: string): string =>
      '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n' +
      `  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <${v}>\n}`;
    const head =
      '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING",\n' +
      '  "ruleArn" : "arn:aws:events:us-east-2:123456789012:rule/example",\n  "ruleName" : "example",\n  "originalEvent" : ';
    assert.equal(transform(template('aws.events.event.json')), `${head}${EC2}\n}`);
    assert.equal(
      transform(template('aws.events.event')),
      `${head}{"id":"7bf73129-1428-4cd3-a780-95db273d1602","account":"123456789012",` +
        '"detailType":"EC2 Instance State-change Notification","time":"2015-11-11T21:29:54Z","source":"aws.ec2",' +
        '"region":"us-east-1","resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],"version":"0"}\n}',
    );
  });

  it('Including reserved variables in a string', () => {
    assert.equal(transform('"<aws.events.rule-name> triggered"'), '"example triggered"');
  });

  it('Amazon CloudWatch log group: the body; the page prints the log event CloudWatch Logs makes of it', () => {
    // The page's output, {"timestamp" : 2015-11-11T21:29:54Z, "message": "instance "i-0123456789" is in
    // RUNNING}, is the log group's view (the timestamp taken as the event's time, the message unescaped).
    const body = transform('{\n  "timestamp" : <timestamp>,\n  "message": "instance \\"<instance>\\" is in <state>"\n}');
    assert.equal(body, '{\n  "timestamp" : "2015-11-11T21:29:54Z",\n  "message": "instance \\"i-0123456789\\" is in RUNNING"\n}');
    assert.deepEqual(JSON.parse(body), { timestamp: '2015-11-11T21:29:54Z', message: 'instance "i-0123456789" is in RUNNING' });
  });

  it('a multi-line string output: each line of the template in quotes (the Inspector finding example)', () => {
    const finding = JSON.stringify({
      version: '0',
      id: 'b6a8f1c2-3d4e-4f5a-8b9c-0d1e2f3a4b5c',
      'detail-type': 'Inspector2 Finding',
      source: 'inspector2',
      account: '123456789012',
      time: '2023-01-19T22:46:15Z',
      region: 'us-east-1',
      resources: ['i-0c2a343f1948d5205'],
      detail: {
        awsAccountId: '123456789012',
        description: 'A buffer overflow in the kernel.',
        findingArn: 'arn:aws:inspector2:us-east-1:123456789012:finding/FINDING_ID',
        severity: 'HIGH',
        status: 'ACTIVE',
        title: 'CVE-2022-0001 - linux',
        type: 'PACKAGE_VULNERABILITY',
        resources: [
          {
            id: 'i-0c2a343f1948d5205',
            region: 'us-east-1',
            details: { awsEc2Instance: { imageId: 'ami-0b5eea76982371e91', platform: 'AMAZON_LINUX_2' } },
          },
        ],
      },
    });
    const paths = {
      account: '$.detail.awsAccountId',
      ami: '$.detail.resources[0].details.awsEc2Instance.imageId',
      arn: '$.detail.findingArn',
      description: '$.detail.description',
      instance: '$.detail.resources[0].id',
      platform: '$.detail.resources[0].details.awsEc2Instance.platform',
      region: '$.detail.resources[0].region',
      severity: '$.detail.severity',
      time: '$.time',
      title: '$.detail.title',
      type: '$.detail.type',
    };
    const template = [
      '"<severity> severity finding <title>"',
      '"Description: <description>"',
      '"ARN: \\"<arn>\\""',
      '"Type: <type>"',
      '"AWS Account: <account>"',
      '"Region: <region>"',
      '"EC2 Instance: <instance>"',
      '"Platform: <platform>"',
      '"AMI: <ami>"',
    ].join('\n');
    assert.equal(
      transform(template, paths, finding),
      [
        '"HIGH severity finding CVE-2022-0001 - linux"',
        '"Description: A buffer overflow in the kernel."',
        '"ARN: \\"arn:aws:inspector2:us-east-1:123456789012:finding/FINDING_ID\\""',
        '"Type: PACKAGE_VULNERABILITY"',
        '"AWS Account: 123456789012"',
        '"Region: us-east-1"',
        '"EC2 Instance: i-0c2a343f1948d5205"',
        '"Platform: AMAZON_LINUX_2"',
        '"AMI: ami-0b5eea76982371e91"',
      ].join('\n'),
    );
  });

  it('"Detail is <detail>": an object in a string loses its quotes; as a value it stays JSON', () => {
    const paths = { detail: '$.detail' };
    assert.equal(transform('"Detail is <detail>"', paths), '"Detail is {instance-id:i-0123456789,state:RUNNING}"');
    assert.equal(transform('{"detail": <detail>}', paths), '{"detail": {"instance-id":"i-0123456789","state":"RUNNING"}}');
  });
});

describe('the InputTransformer API reference examples', () => {
  const event = withDetail({ instance: 'i-0123456789', status: 'RUNNING' });
  const paths = { instance: '$.detail.instance', status: '$.detail.status' };

  it('"<instance> is in state <status>" (a template that is not JSON: values go in as text)', () => {
    assert.equal(transform('<instance> is in state <status>', paths, event), 'i-0123456789 is in state RUNNING');
  });

  it('quote marks escaped in the template', () => {
    assert.equal(transform('<instance> is in state "<status>"', paths, event), 'i-0123456789 is in state "RUNNING"');
  });

  it('valid JSON with variables in quotes or out', () => {
    assert.equal(
      transform('{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}', paths, event),
      '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}',
    );
  });
});

describe('as LocalStack recorded AWS delivering it (validated snapshots)', () => {
  const event = withDetail({ command: 'update-account', payload: { acc_id: '0a787ecb-4015', sf_id: 'baz' } }).replace(
    '"EC2 Instance State-change Notification"',
    '"core.update-account-command"',
  );
  const paths = { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.command' };
  const missing = { ...paths, command: '$.detail.notinmessage' };

  it('a string template, with every path present and with one missing (the empty text)', () => {
    const template = '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"';
    assert.equal(
      transform(template, paths, event),
      '"Event of core.update-account-command type, at time 2015-11-11T21:29:54Z, info extracted from detail update-account"',
    );
    assert.equal(
      transform(template, missing, event),
      '"Event of core.update-account-command type, at time 2015-11-11T21:29:54Z, info extracted from detail "',
    );
  });

  it('a string template starting with special characters', () => {
    const template = '"{[/Check with special starting characters for event of <detail-type> type"';
    assert.equal(
      transform(template, paths, event),
      '"{[/Check with special starting characters for event of core.update-account-command type"',
    );
  });

  it('a JSON template, with every path present and with one missing (the empty string "")', () => {
    const template = '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}';
    assert.equal(
      transform(template, paths, event),
      '{"detailType": "core.update-account-command",  "time": "2015-11-11T21:29:54Z", "command": "update-account"}',
    );
    assert.equal(
      transform(template, missing, event),
      '{"detailType": "core.update-account-command",  "time": "2015-11-11T21:29:54Z", "command": ""}',
    );
  });

  it('the reserved variables in a string template (no InputPathsMap at all)', () => {
    const body = targetBody(
      event,
      {
        InputTransformer: {
          InputTemplate:
            '"Message containing all pre defined variables <aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>"',
        },
      },
      { ruleArn: 'arn:aws:events:us-east-1:111111111111:rule/bus/rule', ruleName: 'rule', ingestionTime: '2024-06-11T08:33:10Z' },
    );
    assert.equal(
      body,
      '"Message containing all pre defined variables arn:aws:events:us-east-1:111111111111:rule/bus/rule rule 2024-06-11T08:33:10Z"',
    );
  });

  it('<aws.events.event> and <aws.events.event.json> as values', () => {
    const body = targetBody(
      event,
      { InputTransformer: { InputTemplate: '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}' } },
      CTX,
    );
    const parsed = JSON.parse(body) as { originalEvent: Record<string, unknown>; originalEventJson: unknown };
    assert.deepEqual(Object.keys(parsed.originalEvent), [
      'id',
      'account',
      'detailType',
      'time',
      'source',
      'region',
      'resources',
      'version',
    ]);
    assert.equal(parsed.originalEvent.detailType, 'core.update-account-command');
    assert.deepEqual(parsed.originalEventJson, JSON.parse(event));
  });
});

describe('the quoting table (docs/input-transformation.md §4)', () => {
  const detail = {
    s: 'RUNNING',
    n: 42,
    f: 1.5,
    t: true,
    z: null,
    o: { a: 1, b: 'x' },
    a: [1, 'two'],
  };
  const event = withDetail(detail);
  const rows: [string, string, string, string][] = [
    // path            as a JSON value         inside a JSON string   in a string template
    ['$.detail.s', '"RUNNING"', 'RUNNING', 'RUNNING'],
    ['$.detail.n', '42', '42', '42'],
    ['$.detail.f', '1.5', '1.5', '1.5'],
    ['$.detail.t', 'true', 'true', 'true'],
    ['$.detail.z', 'null', 'null', 'null'],
    ['$.detail.o', '{"a":1,"b":"x"}', '{a:1,b:x}', '{a:1,b:x}'],
    ['$.detail.a', '[1,"two"]', '[1,two]', '[1,two]'],
    ['$.detail.missing', '""', '', ''],
  ];
  for (const [path, bare, inString, inText] of rows) {
    it(`${path}: ${bare} | ${inString || '(nothing)'} | ${inText || '(nothing)'}`, () => {
      const paths = { v: path };
      assert.equal(transform('{"k": <v>}', paths, event), `{"k": ${bare}}`);
      assert.equal(transform('{"k": "[<v>]"}', paths, event), `{"k": "[${inString}]"}`);
      assert.equal(transform('"[<v>]"', paths, event), `"[${inText}]"`);
    });
  }

  it('the event variables go in as JSON text in every position', () => {
    const tpl = (t: string): string => targetBody(EC2, { InputTransformer: { InputTemplate: t } }, CTX);
    assert.equal(tpl('{"e": <aws.events.event.json>}'), `{"e": ${EC2}}`);
    assert.equal(tpl('{"e": "<aws.events.event.json>"}'), `{"e": "${EC2}"}`);
    assert.ok(tpl('"<aws.events.event>"').startsWith('"{"id":"7bf73129'));
  });

  it('the rule and time variables are strings: quoted as values, as they are in text', () => {
    const tpl = (t: string): string => targetBody(EC2, { InputTransformer: { InputTemplate: t } }, CTX);
    assert.equal(
      tpl('{"arn": <aws.events.rule-arn>, "at": <aws.events.event.ingestion-time>, "m": "<aws.events.rule-name> at <aws.events.event.ingestion-time>"}'),
      '{"arn": "arn:aws:events:us-east-2:123456789012:rule/example", "at": "2015-11-11T21:29:55Z", "m": "example at 2015-11-11T21:29:55Z"}',
    );
  });

  it('a string value is JSON-escaped as a value, and put in unescaped inside a string (AWS does not escape)', () => {
    const event2 = withDetail({ msg: 'say "hi"\n\\ok' });
    const paths = { m: '$.detail.msg' };
    assert.equal(transform('{"k": <m>}', paths, event2), '{"k": "say \\"hi\\"\\n\\\\ok"}');
    assert.equal(transform('{"k": "<m>"}', paths, event2), '{"k": "say "hi"\n\\ok"}');
    assert.equal(transform('"<m>"', paths, event2), '"say "hi"\n\\ok"');
  });
});

describe('templates: what counts as JSON, where strings are, what is a placeholder', () => {
  it('a JSON template is one whose first non-blank character is {', () => {
    assert.equal(isJsonTemplate('{"a": 1}'), true);
    assert.equal(isJsonTemplate('\n\t {"a": 1}'), true);
    assert.equal(isJsonTemplate('"{a}"'), false);
    assert.equal(isJsonTemplate('[1, 2]'), false);
    assert.equal(transform('\n  {"s": <state>}'), '\n  {"s": "RUNNING"}');
    // Decision: a JSON array template is a string template; its values go in as text.
    assert.equal(transform('[<state>, <instance>]'), '[RUNNING, i-0123456789]');
  });

  it('the template text is kept as it is, a trailing newline too (one record a line into Firehose)', () => {
    assert.equal(
      transform('{ "event": <d> }\n', { d: '$.detail' }),
      '{ "event": {"instance-id":"i-0123456789","state":"RUNNING"} }\n',
    );
    assert.equal(transform('  "no placeholders"  '), '  "no placeholders"  ');
  });

  it('escaped quotes and backslashes do not end a string literal', () => {
    assert.equal(transform('{"a": "x \\"<state>\\" y", "b": <state>}'), '{"a": "x \\"RUNNING\\" y", "b": "RUNNING"}');
    assert.equal(transform('{"a": "dir\\\\", "b": <state>}'), '{"a": "dir\\\\", "b": "RUNNING"}');
    assert.equal(transform('{"a": "\\\\<state>"}'), '{"a": "\\\\RUNNING"}');
    assert.equal(transform('{"<": "<state>", "b": [<state>]}'), '{"<": "RUNNING", "b": ["RUNNING"]}');
  });

  it('a placeholder may repeat and touch another', () => {
    assert.equal(transform('"<state><state>-<instance>"'), '"RUNNINGRUNNING-i-0123456789"');
    assert.equal(transform('{"a": [<state>,<state>]}'), '{"a": ["RUNNING","RUNNING"]}');
  });

  it('text that is no placeholder of a variable stays as written', () => {
    assert.equal(transform('"a < b > c, <not a name>, <<state>>, x<y"'), '"a < b > c, <not a name>, <RUNNING>, x<y"');
    // PutTargets refuses a template naming an unknown variable; were one stored, it would stay as written.
    assert.equal(transform('{"a": <unknown>, "b": "<unknown>"}'), '{"a": <unknown>, "b": "<unknown>"}');
    assert.equal(transform('"<aws.events.other>"'), '"<aws.events.other>"');
  });

  it('a path used by a variable is read from the event that was matched', () => {
    const paths = { all: '$', first: '$.resources[0]' };
    assert.equal(transform('{"all": <all>}', paths), `{"all": ${EC2}}`);
    assert.equal(transform('"<first>"', paths), '"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"');
  });

  it('the envelope is parsed only when a path or an event variable needs it', () => {
    const only = (t: string): string => targetBody('not JSON', { InputTransformer: { InputPathsMap: { x: '$.x' }, InputTemplate: t } }, CTX);
    assert.equal(only('"<aws.events.rule-name> at <aws.events.event.ingestion-time>"'), '"example at 2015-11-11T21:29:55Z"');
    assert.equal(only('{"e": <aws.events.event.json>}'), '{"e": not JSON}');
    assert.throws(() => only('"<x>"'), SyntaxError);
    assert.throws(() => targetBody('not JSON', { InputPath: '$' }, CTX), SyntaxError);
  });

  it('generated: a value standing as a JSON value reads back as itself', () => {
    const random = seeded(1);
    for (let run = 0; run < 500; run++) {
      const value = jsonValue(random, 3);
      const body = transform('{"v": <v>}', { v: '$.detail.v' }, withDetail({ v: value }));
      assert.equal(JSON.stringify((JSON.parse(body) as { v: unknown }).v), JSON.stringify(value), body);
    }
  });

  it('generated: a string without quotes, backslashes or control characters reads back inside a JSON string', () => {
    const random = seeded(2);
    for (let run = 0; run < 500; run++) {
      const value = text(random).replace(/["\\]/g, '');
      const body = transform('{"v": "(<v>)"}', { v: '$.detail.v' }, withDetail({ v: value }));
      assert.equal((JSON.parse(body) as { v: string }).v, `(${value})`, body);
    }
  });
});

/** A deterministic generator of numbers in [0, 1) (mulberry32), so a failure repeats. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Printable text up to 12 characters: ASCII, accents, CJK, an emoji, and the JSON-special ones. */
function text(random: () => number): string {
  const alphabet = ['a', 'Z', '0', ' ', '-', '/', '<', '>', '{', '}', '[', ']', ':', ',', '"', '\\', 'é', '中', '😀', '\u2028'];
  let s = '';
  for (let n = Math.floor(random() * 13); n > 0; n--) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

/** A JSON value nested at most `depth` deep, of every kind. */
function jsonValue(random: () => number, depth: number): unknown {
  const kind = Math.floor(random() * (depth > 0 ? 8 : 6));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor(random() * 2_000_001) - 1_000_000;
    case 3:
      return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    case 4:
    case 5:
      return text(random);
    case 6:
      return Array.from({ length: Math.floor(random() * 4) }, () => jsonValue(random, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [text(random), jsonValue(random, depth - 1)]));
  }
}

describe('JSONPath as EventBridge reads it', () => {
  it('parses $, .name, [n] and the wildcards; names run to the next . or [', () => {
    assert.deepEqual(parsePath('$'), []);
    assert.deepEqual(parsePath('$.detail.items[0].sku'), ['detail', 'items', 0, 'sku']);
    assert.deepEqual(parsePath('$.detail-type'), ['detail-type']);
    assert.deepEqual(parsePath('$.detail.a/b.c_d'), ['detail', 'a/b', 'c_d']);
    assert.deepEqual(parsePath('$[0][12]'), [0, 12]);
    assert.deepEqual(parsePath('$.detail.*'), ['detail', ALL]);
    assert.deepEqual(parsePath('$.items[*].sku'), ['items', ALL, 'sku']);
  });

  it('refuses what PutTargets refuses', () => {
    for (const p of ['', 'detail', '$detail', '$.', '$..a', '$.a.', "$['a']", '$[-1]', '$[x]', '$[1', '$.a[0']) {
      assert.equal(parsePath(p), null, p);
    }
  });

  it('selects own members of objects and elements of arrays only', () => {
    const doc = JSON.parse('{"a":{"0":"zero","__proto__":"own"},"l":[10,20]}') as unknown;
    const at = (p: string): unknown => selectPath(doc, parsePath(p) ?? assert.fail(p));
    assert.equal(at('$.a.0'), 'zero');
    assert.equal(at('$.a.__proto__'), 'own');
    assert.equal(at('$.a.constructor'), undefined);
    assert.equal(at('$.a.toString'), undefined);
    assert.equal(at('$.l[1]'), 20);
    assert.equal(at('$.l[2]'), undefined);
    assert.equal(at('$.l.length'), undefined);
    assert.equal(at('$.l.0'), undefined);
    assert.equal(at('$.a[0]'), undefined);
  });

  it('a wildcard selects every match, as an array (Jayway JsonPath), possibly empty', () => {
    const event = withDetail({ items: [{ sku: 'A' }, { qty: 1 }, { sku: 'B' }], flags: { x: 1, y: 2 } });
    const body = (p: string): string => targetBody(event, { InputPath: p }, CTX);
    assert.equal(body('$.detail.items[*].sku'), '["A","B"]');
    assert.equal(body('$.detail.items.*.sku'), '["A","B"]');
    assert.equal(body('$.detail.flags.*'), '[1,2]');
    assert.equal(body('$.detail.none[*]'), '[]');
    assert.equal(transform('{"skus": <s>, "text": "<s>"}', { s: '$.detail.items[*].sku' }, event), '{"skus": ["A","B"], "text": "[A,B]"}');
  });
});

describe('targetBody input kinds', () => {
  it('uses the one kind given; Input wins if a malformed target somehow carries more', () => {
    const all: TargetInput = { Input: '1', InputPath: '$.detail', InputTransformer: { InputTemplate: '"x"' } };
    assert.equal(targetBody(EC2, all, CTX), '1');
    assert.equal(targetBody(EC2, { InputPath: '$.detail.state', InputTransformer: { InputTemplate: '"x"' } }, CTX), '"RUNNING"');
  });
});
