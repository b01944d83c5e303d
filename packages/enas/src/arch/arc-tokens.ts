/**
 * What the three search spaces share: the error type and the tokeniser for the official "arc strings"
 * (`--child_fixed_arc` / `--fixed_arc` in the reference code: integers separated by single spaces).
 */

export type SearchSpace = 'micro' | 'macro' | 'rnn';

/**
 * A malformed or invalid architecture. The message always names the space, the position (token number in the arc
 * string and its meaning), the bad value and what is allowed, so a CLI can print it as is.
 */
export class ArchitectureError extends Error {
  /** 1-based token number in the arc string, or null when the problem is not one token (length, JSON shape). */
  readonly token: number | null;

  constructor(
    readonly space: SearchSpace,
    problem: string,
    token: number | null = null,
  ) {
    super(`${space} architecture: ${problem}`);
    this.name = 'ArchitectureError';
    this.token = token;
  }
}

/**
 * Splits an arc string into non-negative integers. Whitespace separates tokens as in the official scripts; commas
 * are accepted too so that a pasted Python list body (`0, 2, 0, 0`) also parses.
 */
export function arcIntegers(space: SearchSpace, text: string): number[] {
  const tokens = text.split(/[\s,]+/).filter((t) => t.length > 0);
  return tokens.map((token, i) => {
    if (!/^\d+$/.test(token)) {
      throw new ArchitectureError(
        space,
        `token ${i + 1} of ${tokens.length} is ${JSON.stringify(token)}; every token must be a non-negative integer`,
        i + 1,
      );
    }
    return Number(token);
  });
}

/**
 * Checks one value of an architecture: an integer in [lo, hi]. `where` says what the value is (cell, node, field);
 * `token` is its 0-based position in the arc string; `allowed` explains the legal values.
 */
export function checkInteger(
  space: SearchSpace,
  value: unknown,
  lo: number,
  hi: number,
  where: { token: number; of: number; what: string; allowed: string },
): void {
  if (typeof value === 'number' && Number.isInteger(value) && value >= lo && value <= hi) return;
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
  throw new ArchitectureError(
    space,
    `token ${where.token + 1} of ${where.of} (${where.what}) is ${shown}; ${where.allowed}`,
    where.token + 1,
  );
}

/** "0 sep_conv_3x3, 1 sep_conv_5x5, ..." for error messages. */
export function listIds(names: readonly string[]): string {
  return names.map((name, id) => `${id} ${name}`).join(', ');
}

/** Looks up an op/function name in a JSON form; the error lists the legal names. */
export function idOfName(space: SearchSpace, names: readonly string[], value: unknown, path: string): number {
  const id = typeof value === 'string' ? names.indexOf(value) : -1;
  if (id < 0) {
    throw new ArchitectureError(space, `JSON ${path} is ${JSON.stringify(value)}; allowed: ${names.join(', ')}`);
  }
  return id;
}

/** Reads a JSON array field, failing with the path when it is missing or not an array. */
export function jsonArray(space: SearchSpace, value: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(value)) throw new ArchitectureError(space, `JSON ${path} must be an array, got ${describeJson(value)}`);
  if (length !== undefined && value.length !== length) {
    throw new ArchitectureError(space, `JSON ${path} must have ${length} entries, got ${value.length}`);
  }
  return value;
}

/** Reads a JSON object, failing with the path when it is not one. */
export function jsonObject(space: SearchSpace, value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArchitectureError(space, `JSON ${path} must be an object, got ${describeJson(value)}`);
  }
  return value as Record<string, unknown>;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}
