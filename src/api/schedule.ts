/**
 * ScheduleExpression syntax, as EventBridge accepts it (the rule runs later: scheduled rules are
 * stored now and run by the scheduler).
 *
 *   rate(1 minute) | rate(5 minutes) | rate(1 hour) | rate(2 hours) | rate(1 day) | rate(7 days)
 *     a positive whole number; the unit singular for 1 and plural otherwise.
 *   cron(Minutes Hours Day-of-month Month Day-of-week Year)
 *     six fields; exactly one of day-of-month and day-of-week is '?'.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function isValidSchedule(expression: string): boolean {
  const rate = RATE.exec(expression);
  if (rate !== null) {
    const n = Number(rate[1]);
    const plural = (rate[2] as string).endsWith('s');
    return n > 0 && plural === (n !== 1);
  }
  const cron = CRON.exec(expression);
  return cron !== null && isValidCron((cron[1] as string).trim().split(/\s+/));
}

interface FieldSpec {
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Extra tokens allowed in this field: '?', 'L', 'W', '#'. */
  readonly extra: string;
}

const FIELDS: readonly FieldSpec[] = [
  { min: 0, max: 59, extra: '' },
  { min: 0, max: 23, extra: '' },
  { min: 1, max: 31, extra: '?LW' },
  { min: 1, max: 12, names: MONTHS, extra: '' },
  { min: 1, max: 7, names: DAYS, extra: '?L#' },
  { min: 1970, max: 2199, extra: '' },
];

function isValidCron(fields: string[]): boolean {
  if (fields.length !== 6) return false;
  const [, , dom, , dow] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) return false;
  return fields.every((f, i) => isValidField(f, FIELDS[i] as FieldSpec));
}

function value(token: string, spec: FieldSpec): number | null {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : null;
  }
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return named >= 0 ? named + spec.min : null;
}

function isValidField(field: string, spec: FieldSpec): boolean {
  if (field === '?') return spec.extra.includes('?');
  return field.split(',').every((part) => {
    if (part === '*') return true;
    if (spec.extra.includes('L') && (part === 'L' || /^\d+L$/.test(part) || part === 'LW')) {
      return part === 'L' || part === 'LW' || value(part.slice(0, -1), spec) !== null;
    }
    if (spec.extra.includes('W') && /^\d+W$/.test(part)) return value(part.slice(0, -1), spec) !== null;
    if (spec.extra.includes('#')) {
      const m = /^(\w+)#([1-5])$/.exec(part);
      if (m !== null) return value(m[1] as string, spec) !== null;
    }
    const [range, step] = part.split('/');
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) return false;
    if (range === '*' || range === undefined) return range === '*';
    const bounds = range.split('-');
    if (bounds.length > 2) return false;
    return bounds.every((b) => value(b, spec) !== null);
  });
}
