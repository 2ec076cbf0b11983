/**
 * Keeping only what AWS's model knows: a validated input may still carry members the model does
 * not have (AWS ignores them); before a structure is stored and echoed back (a Target, a
 * DeadLetterConfig), it is copied with its modeled members only.
 */
import type { ServiceModel } from './validate.js';

export function pruneToShape(model: ServiceModel, shapeName: string, value: unknown): unknown {
  const shape = model.shapes[shapeName];
  if (shape === undefined || value === null || typeof value !== 'object') return value;
  switch (shape.type) {
    case 'structure': {
      if (Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const m of shape.members ?? []) {
        const wire = m.jsonName ?? m.name;
        const v = (value as Record<string, unknown>)[wire];
        if (v !== undefined && v !== null) out[wire] = pruneToShape(model, m.shape, v);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) && shape.member !== undefined
        ? value.map((v) => pruneToShape(model, shape.member as string, v))
        : value;
    case 'map': {
      if (Array.isArray(value) || shape.value === undefined) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = pruneToShape(model, shape.value, v);
      return out;
    }
    default:
      return value;
  }
}
