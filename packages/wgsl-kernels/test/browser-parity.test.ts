/**
 * Browser parity: the same WGSL kernels, unchanged, in headless Chromium (WebGPU on SwiftShader) and in Node
 * (Dawn, here on lavapipe) must agree within 1e-5 relative, and each must match the float64 reference within the
 * case's tolerance (1e-4 by default), so two identical wrong answers fail too.
 *
 * Artifacts (git-ignored): test-artifacts/browser-parity.png (the page) and browser-parity.json (per-case errors).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/device/context.js';
import { compareClose, testContext } from '../src/testing/index.js';
import {
  bundleParityPage,
  launchChromium,
  type ParityServer,
  requireChromium,
  serveParityPage,
  waitForParity,
} from './parity/browser-harness.js';
import { PARITY_CASES } from './parity/cases/index.js';
import { caseRng, type InputArray } from './parity/parity-case.js';
import { type ParityOutput, type ParityReport, type ParityResult, runParitySuite } from './parity/run-parity.js';

const BROWSER_RTOL = 1e-5;
// SwiftShader compiles each pipeline on the CPU, on a machine shared with the other test files: be generous.
const PAGE_TIMEOUT_MS = 420_000;
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

let server: ParityServer | undefined;
let browser: Browser | undefined;
let ctx: GpuContext | undefined;
let browserReport: ParityReport | undefined;
let nodeReport: ParityReport | undefined;
const summary: Record<string, unknown>[] = [];

beforeAll(async () => {
  requireChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveParityPage(await bundleParityPage());
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  await page.goto(server.url);
  try {
    browserReport = await waitForParity(page, PAGE_TIMEOUT_MS, log);
  } finally {
    await page.screenshot({ path: `${ARTIFACTS}browser-parity.png`, fullPage: true }).catch(() => {});
  }
  console.log(`[webgpu] browser parity, Chromium runs on: ${browserReport.adapter}`);

  ctx = await testContext();
  nodeReport = await runParitySuite(ctx, PARITY_CASES);
}, PAGE_TIMEOUT_MS + 180_000);

afterAll(async () => {
  // Each step on its own: a failed close must not leave the others running.
  await browser?.close().catch((e: unknown) => console.error('closing Chromium failed:', e));
  await server?.close().catch((e: unknown) => console.error('closing the server failed:', e));
  ctx?.destroy();
  if (browserReport || nodeReport) {
    const artifact = { date: new Date().toISOString(), browser: browserReport?.adapter, node: nodeReport?.adapter, cases: summary };
    writeFileSync(`${ARTIFACTS}browser-parity.json`, `${JSON.stringify(artifact, null, 1)}\n`);
  }
}, 60_000);

function resultOf(report: ParityReport | undefined, name: string, where: string): ParityResult {
  const r = report?.results.find((x) => x.name === name);
  if (!r) throw new Error(`${where}: no result for case '${name}' (the run did not complete)`);
  if (r.error) throw new Error(`${where}: case '${name}' failed: ${r.error}`);
  return r;
}

/** Integer outputs must match exactly; f32 outputs within rtol (compareClose's per-tensor scale). */
function compareOutput(actual: ParityOutput, expected: ArrayLike<number>, rtol: number, label: string): number {
  if (actual.type !== 'f32') {
    expect(actual.values, label).toEqual(Array.from(expected));
    return 0;
  }
  return compareClose(actual.values, expected, { rtol, label }).maxRelError;
}

describe('browser parity (Chromium WebGPU vs Node Dawn)', () => {
  it('runs every case in both runtimes on the adapter each reports', () => {
    expect(browserReport?.results.length).toBe(PARITY_CASES.length);
    expect(nodeReport?.results.length).toBe(PARITY_CASES.length);
    expect(browserReport?.adapter).toMatch(/via browser/);
    expect(nodeReport?.adapter).toMatch(/via dawn/);
  });

  for (const c of PARITY_CASES) {
    it(c.name, () => {
      const inBrowser = resultOf(browserReport, c.name, 'browser');
      const inNode = resultOf(nodeReport, c.name, 'node');
      // Identical inputs first, so a difference below is the kernels', not the data's.
      expect(inBrowser.inputsHash, 'inputs built in the browser differ from Node').toBe(inNode.inputsHash);
      const inputs = c.inputs(caseRng(c)) as Record<string, InputArray>;
      const reference = c.reference(inputs);
      const rtol = c.referenceRtol ?? 1e-4;
      const row: Record<string, unknown> = { name: c.name, family: c.family, ms: { browser: inBrowser.ms, node: inNode.ms } };
      summary.push(row);
      for (const name of Object.keys(reference)) {
        const b = inBrowser.outputs[name];
        const n = inNode.outputs[name];
        if (!b || !n) throw new Error(`case '${c.name}': output '${name}' missing (browser ${!!b}, node ${!!n})`);
        row[name] = {
          nodeVsReference: compareOutput(n, reference[name] as ArrayLike<number>, rtol, `${c.name}: ${name}, node vs reference`),
          browserVsNode: compareOutput(b, n.values, BROWSER_RTOL, `${c.name}: ${name}, browser vs node`),
          browserVsReference: compareOutput(b, reference[name] as ArrayLike<number>, rtol, `${c.name}: ${name}, browser vs reference`),
        };
      }
    });
  }
});
