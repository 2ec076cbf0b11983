#!/usr/bin/env node
// Generates src/api/models/{events,sqs}.generated.ts from AWS's own service models (the botocore
// copies of them), keeping only what request validation needs: each operation's input shape and,
// for every shape reachable from an input, its type, members (in model order), required members,
// list member, map key/value, min, max, pattern, enum and the sensitive flag. No documentation.
// For a service marked `outputs` (SQS) it also keeps each operation's output shape, the shapes
// reachable from outputs, and the `flattened` trait: what src/http/query.ts needs to write the
// query protocol's XML answers. (The query protocol's element names are not in today's botocore
// SQS model, which is JSON-only: src/http/sqs-query.ts holds them, and says where they come from.)
//
//   node scripts/gen-models.mjs           write the generated files
//   node scripts/gen-models.mjs --check   exit 1 if the committed files are not what it would write
//
// The botocore data directory is $BOTOCORE_DATA when set, else the `data` folder next to the
// botocore package that `python3` imports. Plain Node, no dependencies.
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'src', 'api', 'models');

/** The services to generate: botocore's folder name, the output file and its export. */
const SERVICES = [
  { service: 'events', file: 'events.generated.ts', exportName: 'EVENTS_MODEL' },
  { service: 'sqs', file: 'sqs.generated.ts', exportName: 'SQS_MODEL', outputs: true },
];

/** Metadata fields kept (they say which protocol dialect the validator speaks). */
const METADATA_KEYS = ['apiVersion', 'jsonVersion', 'protocol', 'serviceId', 'targetPrefix', 'uid'];

/** Shape fields kept as they are in the model. */
const SHAPE_SCALARS = ['enum', 'max', 'min', 'pattern', 'type'];

/** The line of the header that names the botocore release; `--check` tolerates only it differing. */
const BOTOCORE_LINE = ' * botocore: ';

class UsageError extends Error {}

function botocoreLocation() {
  const fromEnv = process.env.BOTOCORE_DATA;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new UsageError(`BOTOCORE_DATA=${fromEnv} does not exist`);
    return { dataDir: fromEnv, version: versionFromInit(join(fromEnv, '..', '__init__.py')) };
  }
  let out;
  try {
    out = execFileSync(
      'python3',
      ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__)); print(botocore.__version__)'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (e) {
    throw new UsageError(
      `cannot locate botocore (set BOTOCORE_DATA to botocore's data directory, or install it for python3): ${
        e instanceof Error ? e.message.split('\n')[0] : String(e)
      }`,
    );
  }
  const [pkgDir, version] = out.trim().split('\n');
  return { dataDir: join(pkgDir, 'data'), version: version ?? 'unknown' };
}

function versionFromInit(initPy) {
  if (!existsSync(initPy)) return 'unknown';
  const m = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(readFileSync(initPy, 'utf8'));
  return m?.[1] ?? 'unknown';
}

/** The newest API version folder of a service that has a service-2 model. */
function modelPath(dataDir, service) {
  const dir = join(dataDir, service);
  if (!existsSync(dir)) throw new UsageError(`no botocore model folder ${dir}`);
  const versions = readdirSync(dir)
    .filter((v) => existsSync(join(dir, v, 'service-2.json.gz')) || existsSync(join(dir, v, 'service-2.json')))
    .sort();
  const latest = versions.at(-1);
  if (!latest) throw new UsageError(`no service-2 model under ${dir}`);
  const gz = join(dir, latest, 'service-2.json.gz');
  return { apiFolder: latest, path: existsSync(gz) ? gz : join(dir, latest, 'service-2.json') };
}

function readModel(path) {
  const raw = readFileSync(path);
  return JSON.parse((path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
}

/** Validation-only copy of one shape; members keep model order (it is the order AWS reports in). */
function slimShape(shape) {
  const out = {};
  for (const key of SHAPE_SCALARS) if (shape[key] !== undefined) out[key] = shape[key];
  if (shape.sensitive === true) out.sensitive = true;
  if (shape.flattened === true) out.flattened = true;
  if (shape.type === 'structure') {
    out.members = Object.entries(shape.members ?? {}).map(([name, m]) => {
      const member = { name, shape: m.shape };
      if (m.jsonName !== undefined) member.jsonName = m.jsonName;
      if (m.locationName !== undefined) member.locationName = m.locationName;
      if (m.flattened === true) member.flattened = true;
      return member;
    });
    if (shape.required?.length) out.required = [...shape.required];
  }
  if (shape.type === 'list') out.member = shape.member.shape;
  if (shape.type === 'map') {
    out.key = shape.key.shape;
    out.value = shape.value.shape;
  }
  return out;
}

function referencedShapes(shape) {
  if (shape.type === 'structure') return Object.values(shape.members ?? {}).map((m) => m.shape);
  if (shape.type === 'list') return [shape.member.shape];
  if (shape.type === 'map') return [shape.key.shape, shape.value.shape];
  return [];
}

/** JSON with object keys sorted, except member lists (arrays keep their order). */
function stable(value) {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function render({ service, exportName, outputs }, model, source, botocoreVersion) {
  const operations = {};
  const reachable = new Set();
  const queue = [];
  for (const name of Object.keys(model.operations).sort()) {
    const input = model.operations[name].input?.shape;
    const output = outputs ? model.operations[name].output?.shape : undefined;
    operations[name] = {};
    if (input !== undefined) operations[name].input = input;
    if (output !== undefined) operations[name].output = output;
    queue.push(...Object.values(operations[name]));
  }
  while (queue.length > 0) {
    const name = queue.pop();
    if (reachable.has(name)) continue;
    const shape = model.shapes[name];
    if (!shape) throw new Error(`${service}: shape ${name} is referenced but not defined`);
    reachable.add(name);
    queue.push(...referencedShapes(shape));
  }

  const metadata = {};
  for (const key of METADATA_KEYS) if (model.metadata[key] !== undefined) metadata[key] = model.metadata[key];
  if (model.metadata.awsQueryCompatible !== undefined) metadata.awsQueryCompatible = true;

  const lines = [
    '/*',
    ' * GENERATED FILE - do not edit by hand.',
    ` * Source: botocore data/${service}/${source.apiFolder}/service-2.json (uid ${model.metadata.uid}, apiVersion ${model.metadata.apiVersion}).`,
    `${BOTOCORE_LINE}${botocoreVersion}`,
    ' * Regenerate: npm run gen:models   (CI checks it is current: npm run gen:models:check)',
    outputs
      ? ' * Operation inputs (validation) and outputs (query-protocol XML), the shapes reachable from them; members in model order.'
      : ' * Validation data only: operation inputs and the shapes reachable from them; members in model order.',
    ' */',
    "import type { ServiceModel } from '../validate.js';",
    '',
    `export const ${exportName}: ServiceModel = {`,
    `  "metadata": ${stable(metadata)},`,
    '  "operations": {',
    ...Object.keys(operations).map((name) => `    ${JSON.stringify(name)}: ${stable(operations[name])},`),
    '  },',
    '  "shapes": {',
    ...[...reachable].sort().map((name) => `    ${JSON.stringify(name)}: ${stable(slimShape(model.shapes[name]))},`),
    '  },',
    '};',
    '',
  ];
  return lines.join('\n');
}

/** Equal, or different only in the botocore release line (same validation data, other release). */
function sameGenerated(committed, generated) {
  const strip = (text) =>
    text
      .split('\n')
      .filter((line) => !line.startsWith(BOTOCORE_LINE))
      .join('\n');
  return committed === generated || strip(committed) === strip(generated);
}

function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) throw new UsageError(`unknown argument(s): ${unknown.join(' ')}; usage: gen-models.mjs [--check]`);
  const check = args.includes('--check');

  const { dataDir, version } = botocoreLocation();
  let stale = 0;
  for (const entry of SERVICES) {
    const source = modelPath(dataDir, entry.service);
    const text = render(entry, readModel(source.path), source, version);
    const target = join(OUT_DIR, entry.file);
    const rel = target.slice(ROOT.length + 1);
    if (check) {
      const committed = existsSync(target) ? readFileSync(target, 'utf8') : null;
      if (committed === null || !sameGenerated(committed, text)) {
        stale += 1;
        console.error(`${rel} is ${committed === null ? 'missing' : 'out of date'}; run: npm run gen:models`);
      } else {
        console.log(`${rel} is current (botocore ${version})`);
      }
    } else {
      writeFileSync(target, text);
      console.log(`wrote ${rel} (${text.length} bytes, botocore ${version})`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

try {
  main();
} catch (e) {
  console.error(`gen-models: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
