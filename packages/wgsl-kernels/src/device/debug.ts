/**
 * The diagnostic switch. `ENAS_DEBUG=1` (environment variable in Node, `globalThis.ENAS_DEBUG` in a browser)
 * prints every dispatch as it is recorded: kernel name, workgroup grid and the bytes bound to it, and every
 * submit. `ENAS_DEBUG=2` also prints buffer allocations, writes and copies.
 */

let level: number | undefined;

export function debugLevel(): number {
  if (level === undefined) {
    const g = globalThis as { ENAS_DEBUG?: unknown; process?: { env?: Record<string, string | undefined> } };
    const raw = g.ENAS_DEBUG ?? g.process?.env?.ENAS_DEBUG ?? '0';
    const parsed = Number(raw);
    level = Number.isFinite(parsed) ? parsed : raw ? 1 : 0;
  }
  return level;
}

/** Overrides the environment, e.g. from a test or the viewer's settings. */
export function setDebugLevel(value: number): void {
  level = value;
}

export type DebugSink = (line: string) => void;
let sink: DebugSink = (line) => console.error(line);

/** Redirects the trace (tests capture it). Returns the previous sink. */
export function setDebugSink(next: DebugSink): DebugSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function debugLog(minLevel: number, line: string | (() => string)): void {
  if (debugLevel() >= minLevel) sink(typeof line === 'function' ? line() : line);
}
