// The cheap "plainly valid" check of hot operations must never let through an input that the
// model validation would refuse (src/api/eventbridge.ts PLAINLY_VALID).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { PLAINLY_VALID } from '../src/api/eventbridge.js';
import { EVENTS_MODEL } from '../src/api/models/events.generated.js';
import { validateInput } from '../src/api/validate.js';

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'default', 'orders', 'arn:aws:events:us-east-1:123456789012:event-bus/orders', 'bad name!', 'x'.repeat(1601), '😀'.repeat(300)),
);
const anyValue = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 2 }));
const member = fc.constantFrom('Time', 'Source', 'Resources', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader', 'Other');
const wild = fc.dictionary(member, fc.oneof(anyValue, fc.array(fc.string({ maxLength: 2100 }), { maxLength: 2 })), { maxKeys: 7 });
/** Mostly well-typed entries, near the model's limits. */
const typed = fc.record(
  {
    Time: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
    Source: text,
    Resources: fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.constant('r'.repeat(2048)), fc.constant('r'.repeat(2049))), { maxLength: 3 }),
    DetailType: text,
    Detail: text,
    EventBusName: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('default', 'orders', 'a.b-c_d', 'arn:aws:events:us-east-1:123456789012:event-bus/orders') }, { weight: 1, arbitrary: text }),
    TraceHeader: fc.oneof(text, fc.constant('t'.repeat(500)), fc.constant('t'.repeat(501))),
  },
  { requiredKeys: [] },
);
const entry = fc.oneof({ weight: 3, arbitrary: typed }, { weight: 1, arbitrary: wild });
const input = fc.oneof(
  fc.record({ Entries: fc.array(entry, { minLength: 1, maxLength: 3 }) }),
  fc.record({ Entries: fc.array(entry, { minLength: 0, maxLength: 12 }) }),
  fc.dictionary(fc.constantFrom('Entries', 'EndpointId', 'Extra'), fc.oneof(anyValue, fc.array(entry, { maxLength: 11 })), { maxKeys: 2 }),
);

it('PutEvents: whatever the check accepts, model validation accepts too', () => {
  const check = PLAINLY_VALID.PutEvents;
  assert.ok(check !== undefined);
  let accepted = 0;
  fc.assert(
    fc.property(input, (i) => {
      if (!check(i as Record<string, unknown>)) return;
      accepted++;
      assert.equal(validateInput(EVENTS_MODEL, 'PutEvents', i), null, JSON.stringify(i).slice(0, 300));
    }),
    { numRuns: 3000 },
  );
  assert.ok(accepted > 100, `the check accepted only ${accepted} inputs: the property tested too little`);
});

it('PutEvents: an ordinary request is plainly valid', () => {
  const ok = { Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'orders', Resources: ['r'], Time: 1, TraceHeader: 't' }] };
  assert.equal(PLAINLY_VALID.PutEvents?.(ok), true);
});
