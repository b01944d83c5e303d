/**
 * Command-line overrides of preset values, shared by `enas search` and `enas train`: a table of flags (camelCase
 * names, shown in kebab case) with how to parse and check each, and the loop that applies them.
 */
import { UsageError } from '../run-cli.js';

export interface OverrideSpec<K extends string> {
  key: K;
  kind: 'int' | 'number' | 'bool';
  min?: number;
  max?: number;
  help: string;
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Sets `o[spec.key]` for every flag of `table` present in `given`, after checking its type and range. */
export function applyOverrides<T extends object>(
  o: T,
  table: Record<string, OverrideSpec<Extract<keyof T, string>>>,
  given: Record<string, unknown>,
): void {
  for (const [flag, spec] of Object.entries(table)) {
    const raw = given[flag];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (spec.kind !== 'bool' && (!Number.isFinite(value) || (spec.kind === 'int' && !Number.isInteger(value)))) {
      throw new UsageError(`--${kebab(flag)} ${raw}: expected ${spec.kind === 'int' ? 'an integer' : 'a number'}`);
    }
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
      const range = spec.max === undefined ? `>= ${spec.min}` : `in [${spec.min}, ${spec.max}]`;
      throw new UsageError(`--${kebab(flag)} ${raw}: must be ${range} (${spec.help})`);
    }
    (o as Record<string, number>)[spec.key] = value;
  }
}
