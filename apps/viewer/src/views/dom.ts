/** Small DOM helpers shared by the panels. */

/** An element with a class and children (strings become text). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** The element with this id; a missing one is a bug in index.html, named. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`viewer: index.html has no element #${id}`);
  return e as T;
}

/** A number for a status line: 3 significant digits, no exponent for ordinary sizes. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toPrecision(3);
}

/** Runs `draw` once per animation frame at most, with the latest arguments: live updates never queue up. */
export function coalesceFrames<A extends unknown[]>(draw: (...args: A) => void): (...args: A) => void {
  let pending: A | undefined;
  return (...args: A) => {
    const first = pending === undefined;
    pending = args;
    if (first) {
      requestAnimationFrame(() => {
        const a = pending as A;
        pending = undefined;
        draw(...a);
      });
    }
  };
}

/** Text made safe to put inside HTML or SVG markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}
