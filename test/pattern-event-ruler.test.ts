// Conformance: test data from aws/event-ruler, the matching library behind EventBridge.
// Data and provenance: test/fixtures/event-ruler/ (EXPECTED.txt, NOTICE).
//
// event-ruler's tests feed rules through Jackson's JsonNode.toString(), i.e. compact JSON; the
// rules below are passed the same way (JSON.stringify of the parsed file or array element).
// These events are not full EventBridge envelopes, so they go through RuleSet and the
// reference evaluator, not testEventPattern.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { matchesReference, parsePattern, PatternError, RuleSet } from '../src/pattern/index.js';

const FIXTURES = new URL('../../test/fixtures/event-ruler/', import.meta.url);
const readFixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
const compact = (json: unknown): string => JSON.stringify(json);

/** A RuleSet's matches for one event, through both entry points, which must agree. */
function matches(rules: RuleSet, eventText: string): string[] {
  const fromJson = rules.matchJson(eventText).sort();
  const fromEvent = rules.matchEvent(JSON.parse(eventText)).sort();
  assert.deepEqual(fromEvent, fromJson, 'matchEvent and matchJson disagree');
  return fromJson;
}

describe('event-ruler: array consistency (GenericMachineTest.nestedArraysTest)', () => {
  // Rules rule1..rule3 loaded together; expected sets from event-ruler's rulesForJSONEvent,
  // which is array-consistent like EventBridge (EXPECTED.txt). A field condition and its sibling
  // conditions must be met inside ONE element of an array of objects.
  const ruleTexts = new Map<string, string>(
    [1, 2, 3].map((n) => [`rule${n}`, compact(JSON.parse(readFixture(`arrayRule${n}.json`)))]),
  );
  const rules = new RuleSet();
  for (const [id, text] of ruleTexts) rules.add(id, text);

  const expected: ReadonlyArray<readonly [string, readonly string[]]> = [
    ['arrayEvent1.json', ['rule1', 'rule2']],
    ['arrayEvent2.json', []],
    // rule3 wants metricName CPUUtilization and namespace AWS/ES; event 3 has each, but in
    // different elements of "metrics". event-ruler's legacy rulesForEvent says {rule3} here.
    ['arrayEvent3.json', []],
    ['arrayEvent4.json', ['rule3']],
  ];

  test('all three rules are loaded', () => {
    assert.equal(rules.size, 3);
    for (const id of ruleTexts.keys()) assert.ok(rules.has(id), id);
  });

  for (const [file, want] of expected) {
    test(`${file} -> {${want.join(', ')}}`, () => {
      const eventText = readFixture(file);
      assert.deepEqual(matches(rules, eventText), [...want]);
      const event: unknown = JSON.parse(eventText);
      for (const [id, text] of ruleTexts) {
        assert.equal(matchesReference(parsePattern(text), event), want.includes(id), `matchesReference ${id}`);
      }
    });
  }

  test('arrayRule4 (not used by event-ruler; expectations derived by hand) matches within one element', () => {
    // metricName in {CPUUtilization, ReadLatency} and namespace in {AWS/EC2, AWS/ES}: element 0 of
    // arrayEvent3 (CPUUtilization, AWS/EC2) and the single element of arrayEvent4 satisfy both;
    // arrayEvent1/2 have no top-level "metrics".
    const text = compact(JSON.parse(readFixture('arrayRule4.json')));
    const only4 = new RuleSet();
    only4.add('rule4', text);
    const pattern = parsePattern(text);
    for (const [file, want] of [
      ['arrayEvent1.json', false],
      ['arrayEvent2.json', false],
      ['arrayEvent3.json', true],
      ['arrayEvent4.json', true],
    ] as const) {
      const eventText = readFixture(file);
      assert.deepEqual(matches(only4, eventText), want ? ['rule4'] : [], file);
      assert.equal(matchesReference(pattern, JSON.parse(eventText)), want, `matchesReference ${file}`);
    }
  });
});

describe('event-ruler: big event (BigEventTest)', () => {
  test('bigEventRule matches bigEvent', () => {
    const ruleText = compact(JSON.parse(readFixture('bigEventRule.json')));
    const eventText = readFixture('bigEvent.json');
    const rules = new RuleSet();
    rules.add('big', ruleText);
    assert.deepEqual(matches(rules, eventText), ['big']);
    assert.equal(matchesReference(parsePattern(ruleText), JSON.parse(eventText)), true);
  });
});

describe('event-ruler: $or relationships (orRelationshipRules.json)', () => {
  const ruleTexts = (JSON.parse(readFixture('orRelationshipRules.json')) as unknown[]).map(compact);
  const ids = ruleTexts.map((_, i) => `or-${i}`);

  test('the file holds five rules', () => {
    assert.equal(ruleTexts.length, 5);
  });

  // Hand-built events. `branch` names the $or branch of `rule` the event exercises ('miss' =
  // a near-miss that rule must not match); `matches` is the full set of rules (all five loaded
  // together) it matches, each derived by hand:
  //   or-0  metricName in {CPUUtilization, ReadLatency}  OR  namespace in {AWS/EC2, AWS/ES}
  //   or-1  or-0's condition  AND  (detail.source = aws.cloudwatch OR detail.detail-type = CloudWatch Alarm State Change)
  //   or-2  source = aws.cloudwatch AND (metricName in {..} OR (metricType = MetricType AND namespace in {..}) OR scope = Service)
  //   or-3  like or-2, but the middle branch also needs (metricId = 1234 OR spaceId = 1000)
  //   or-4  source = aws.cloudwatch AND detail.state.value = ALARM
  //         AND (withConfiguration.metrics.metricStat.metric.namespace = AWS/EC2 OR withoutConfiguration.metric.name = AWS/Default)
  const cw = 'aws.cloudwatch';
  const alarm = { state: { value: 'ALARM' } };
  const ec2Config = { metrics: [{ metricStat: { metric: { namespace: 'AWS/EC2' } } }] };
  const events: ReadonlyArray<{ rule: number; branch: string; event: object; matches: readonly number[] }> = [
    { rule: 0, branch: 'metricName', event: { metricName: 'CPUUtilization' }, matches: [0] },
    { rule: 0, branch: 'namespace', event: { namespace: 'AWS/ES' }, matches: [0] },
    { rule: 0, branch: 'miss', event: { metricName: 'WriteLatency', namespace: 'AWS/S3' }, matches: [] },
    {
      rule: 1,
      branch: 'metricName + detail.source',
      event: { metricName: 'ReadLatency', detail: { source: cw } },
      matches: [0, 1],
    },
    {
      rule: 1,
      branch: 'namespace + detail.detail-type',
      event: { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
      matches: [0, 1],
    },
    // source at the top level, not under detail: or-1's inner $or is not met.
    { rule: 1, branch: 'miss', event: { metricName: 'CPUUtilization', source: cw }, matches: [0, 2, 3] },
    { rule: 2, branch: 'metricName', event: { source: cw, metricName: 'ReadLatency' }, matches: [0, 2, 3] },
    {
      rule: 2,
      branch: 'metricType + namespace',
      event: { source: cw, metricType: 'MetricType', namespace: 'AWS/EC2' },
      matches: [0, 2],
    },
    { rule: 2, branch: 'scope', event: { source: cw, scope: 'Service' }, matches: [2, 3] },
    // namespace without metricType: the middle branch is incomplete.
    { rule: 2, branch: 'miss', event: { source: cw, namespace: 'AWS/EC2' }, matches: [0] },
    {
      rule: 3,
      branch: 'metricType + namespace + metricId',
      event: { source: cw, metricType: 'MetricType', namespace: 'AWS/ES', metricId: 1234 },
      matches: [0, 2, 3],
    },
    {
      rule: 3,
      branch: 'metricType + namespace + spaceId',
      event: { source: cw, metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
      matches: [0, 2, 3],
    },
    {
      rule: 3,
      branch: 'miss',
      event: { source: cw, metricType: 'MetricType', namespace: 'AWS/EC2', metricId: 999 },
      matches: [0, 2],
    },
    {
      rule: 4,
      branch: 'withConfiguration',
      event: { source: cw, detail: alarm, withConfiguration: ec2Config },
      matches: [4],
    },
    {
      rule: 4,
      branch: 'withoutConfiguration',
      event: { source: cw, detail: alarm, withoutConfiguration: { metric: { name: 'AWS/Default' } } },
      matches: [4],
    },
    {
      rule: 4,
      branch: 'miss',
      event: { source: cw, detail: { state: { value: 'OK' } }, withConfiguration: ec2Config },
      matches: [],
    },
  ];

  test('every rule has a near-miss event and every $or branch a matching event', () => {
    for (let rule = 0; rule < ruleTexts.length; rule++) {
      const own = events.filter((e) => e.rule === rule);
      assert.ok(own.some((e) => e.branch === 'miss' && !e.matches.includes(rule)), `or-${rule} near-miss`);
      assert.ok(own.some((e) => e.branch !== 'miss' && e.matches.includes(rule)), `or-${rule} match`);
    }
  });

  const together = new RuleSet();
  for (const [i, text] of ruleTexts.entries()) together.add(ids[i] ?? '', text);

  for (const { rule, branch, event, matches: want } of events) {
    const label = branch === 'miss' ? `or-${rule} near-miss` : `or-${rule} via ${branch}`;
    test(label, () => {
      const eventText = JSON.stringify(event);
      const wantIds = want.map((i) => `or-${i}`).sort();

      // The rule on its own.
      const text = ruleTexts[rule] ?? assert.fail('no such rule');
      const alone = new RuleSet();
      alone.add(`or-${rule}`, text);
      assert.deepEqual(matches(alone, eventText), want.includes(rule) ? [`or-${rule}`] : [], 'rule alone');

      // All five rules together, and the reference evaluator per rule.
      assert.deepEqual(matches(together, eventText), wantIds, 'all rules together');
      for (const [i, t] of ruleTexts.entries()) {
        assert.equal(matchesReference(parsePattern(t), event), want.includes(i), `matchesReference or-${i}`);
      }
    });
  }
});

describe('event-ruler: malformed $or (wrongOrRelationshipRules.json)', () => {
  const PREFIX = 'Event pattern is not valid. Reason: ';
  const ruleTexts = (JSON.parse(readFixture('wrongOrRelationshipRules.json')) as unknown[]).map(compact);
  // event-ruler's JsonRuleCompiler messages, in file order.
  const reasons = [
    'There must have at least 2 Objects in $or relationship.',
    'Only JSON object is allowed in array of $or relationship.',
  ];

  test('the file holds two rules', () => {
    assert.equal(ruleTexts.length, reasons.length);
  });

  for (const [i, text] of ruleTexts.entries()) {
    test(`rule ${i} is rejected: ${reasons[i]}`, () => {
      const check = (err: unknown): true => {
        assert.ok(err instanceof PatternError, `expected a PatternError, got ${String(err)}`);
        assert.equal(err.code, 'InvalidEventPatternException');
        assert.ok(
          err.message.startsWith(PREFIX + (reasons[i] ?? '')),
          `message ${JSON.stringify(err.message)} should start with ${JSON.stringify(PREFIX + (reasons[i] ?? ''))}`,
        );
        return true;
      };
      assert.throws(() => parsePattern(text), check);
      const rules = new RuleSet();
      assert.throws(() => rules.add('wrong', text), check);
      assert.equal(rules.size, 0);
    });
  }
});
