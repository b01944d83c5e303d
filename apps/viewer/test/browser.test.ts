/**
 * The viewer end to end, in headless Chromium (WebGPU on SwiftShader): the built app as `npm run viewer` serves it.
 * A live micro search runs real steps on the browser's WebGPU (the tiny preset: SwiftShader compiles every pipeline
 * on the CPU); the committed tiny run replays; a browser without WebGPU gets the message.
 *
 * Screenshots (git-ignored): test-artifacts/viewer-{live,replay,no-webgpu}.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildAndServeViewer, launchChromium, openPage, type ViewerServer, waitInPage } from './browser-harness.js';

const FIXTURE = ['config.json', 'log.jsonl'].map((f) => fileURLToPath(new URL(`./fixtures/tiny-run/${f}`, import.meta.url)));
// SwiftShader on a shared two-core machine: the first steps compile every pipeline. Be generous.
const LIVE_TIMEOUT_MS = 240_000;

let server: ViewerServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await buildAndServeViewer();
  browser = await launchChromium({ webgpu: true });
}, 180_000);

afterAll(async () => {
  // Each on its own: a failed close must not leave the other running.
  await browser?.close().catch((e: unknown) => console.error('closing Chromium failed:', e));
  await server?.close().catch((e: unknown) => console.error('closing the server failed:', e));
}, 60_000);

async function withPage(query: string, run: (page: Page, log: string[]) => Promise<void>, on = browser): Promise<void> {
  if (!on || !server) throw new Error('viewer tests: setup failed (see beforeAll)');
  const { page, log } = await openPage(on, `${server.url}${query}`);
  try {
    await run(page, log);
  } finally {
    await page.close().catch(() => {});
  }
}

/** Pixels of a chart's canvas within 60 of a series colour (lines are anti-aliased): > 0 once the series is drawn. */
function seriesPixels(page: Page, chartId: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(
    ({ chartId, rgb }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`#${chartId} canvas`);
      if (!canvas || canvas.width === 0) return -1;
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const d =
          Math.abs((data[i] as number) - rgb[0]) + Math.abs((data[i + 1] as number) - rgb[1]) + Math.abs((data[i + 2] as number) - rgb[2]);
        if ((data[i + 3] as number) > 200 && d < 60) n++;
      }
      return n;
    },
    { chartId, rgb },
  );
}

const BLUE: [number, number, number] = [0x1a, 0x73, 0xe8];
const GREEN: [number, number, number] = [0x18, 0x80, 0x38];
const PURPLE: [number, number, number] = [0x93, 0x34, 0xe6];

/** What the drawings in a container hold: per SVG, its node boxes and edges. */
function drawings(page: Page, selector: string): Promise<{ nodes: number; edges: number }[]> {
  return page.$$eval(`${selector} svg`, (svgs) =>
    svgs.map((svg) => ({ nodes: svg.querySelectorAll('g.node').length, edges: svg.querySelectorAll('path.edge').length })),
  );
}

describe('viewer in headless Chromium', () => {
  it('loads with the WebGPU adapter in the status line and the live search ready to start', async () => {
    await withPage('', async (page, log) => {
      await waitInPage(page, 'a ready live panel', () => document.getElementById('live-status')?.dataset.state === 'idle', 60_000, log);
      expect(await page.evaluate(() => document.body.dataset.webgpu)).toBe('ready');
      expect(await page.textContent('#live-status')).toMatch(/ready · 0 child steps .* on .+/);
      expect(await page.isEnabled('#live-toggle')).toBe(true);
      expect(await page.isVisible('#message')).toBe(false);
      expect(await page.$$eval('.tab', (tabs) => tabs.map((t) => t.textContent))).toEqual(['Live search', 'Replay a run']);
    });
  }, 90_000);

  it(
    'runs a live micro search on WebGPU: steps advance with a finite loss, the cells, probabilities and curves render',
    async () => {
      await withPage('?preset=tiny&autostart=1', async (page, log) => {
        const status = () => page.evaluate(() => ({ ...(document.getElementById('live-status') as HTMLElement).dataset }));
        // Tiny preset: 3 child steps per epoch, then one controller update; two updates make a line.
        await waitInPage(
          page,
          'seven child steps and two controller updates',
          () => {
            const d = (document.getElementById('live-status') as HTMLElement).dataset;
            if (d.state === 'failed') return true;
            return Number(d.childSteps) >= 7 && Number(d.controllerSteps) >= 2 && document.querySelector('#live-heatmap svg') !== null;
          },
          LIVE_TIMEOUT_MS,
          log,
        );
        const s = await status();
        expect(s.state, (await page.textContent('#live-status')) ?? '').toBe('running');
        expect(Number.isFinite(Number.parseFloat(s.loss ?? ''))).toBe(true);

        // Two cells (B = 2): inputs h[-2], h[-1], nodes 2 and 3, concat; four op edges plus the concat's inputs.
        const cells = await drawings(page, '#live-arch');
        expect(cells).toHaveLength(2);
        for (const c of cells) {
          expect(c.nodes).toBe(5);
          expect(c.edges).toBeGreaterThanOrEqual(5);
        }
        // Decisions of both cells: inputs 2 + 2 + 3 + 3, ops 4 × 5; 16 sampled.
        expect(await page.locator('#live-heatmap rect.heat-cell').count()).toBe(2 * (10 + 20));
        expect(await page.locator('#live-heatmap rect.heat-chosen').count()).toBe(16);
        const sums = await page.$$eval('#live-heatmap rect.heat-cell', (rects) =>
          rects.reduce((a, r) => a + Number(r.getAttribute('data-p')), 0),
        );
        expect(sums).toBeCloseTo(16, 2); // 8·B = 16 decisions, each a distribution

        await page.waitForTimeout(500); // a frame for the charts' last points
        expect(await seriesPixels(page, 'live-chart-loss', BLUE)).toBeGreaterThan(20);
        expect(await seriesPixels(page, 'live-chart-reward', GREEN)).toBeGreaterThan(5);
        expect(await seriesPixels(page, 'live-chart-entropy', PURPLE)).toBeGreaterThan(5);
        await page.screenshot({ path: `${ARTIFACTS}viewer-live.png`, fullPage: true });

        // Pause: the step in flight finishes, then nothing advances.
        await page.click('#live-toggle');
        await waitInPage(page, 'the paused state', () => document.getElementById('live-status')?.dataset.state === 'paused', 60_000, log);
        const paused = Number((await status()).childSteps);
        await page.waitForTimeout(2500);
        expect(Number((await status()).childSteps)).toBe(paused);
        expect(await page.textContent('#live-toggle')).toBe('Resume');
        expect(log.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
      });
    },
    LIVE_TIMEOUT_MS + 90_000,
  );

  it('CIFAR-10 comes from the files picked: a wrong pick stops with the missing batch file named', async () => {
    await withPage('?preset=tiny', async (page, log) => {
      await waitInPage(page, 'a ready live panel', () => document.getElementById('live-status')?.dataset.state === 'idle', 60_000, log);
      const chooser = page.waitForEvent('filechooser');
      await page.selectOption('#live-data', 'cifar10');
      await (await chooser).setFiles({ name: 'data_batch_2.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3073) });
      await page.click('#live-toggle');
      await waitInPage(page, 'the failed state', () => document.getElementById('live-status')?.dataset.state === 'failed', 30_000, log);
      expect(await page.textContent('#live-status')).toMatch(
        /stopped: CIFAR-10: data_batch_1.bin is missing from the CIFAR-10 files you picked; expected the CIFAR-10 binary version/,
      );
    });
  }, 90_000);

  it('replays the committed run: curves, the architecture at any step, the derived best', async () => {
    await withPage('?mode=replay', async (page, log) => {
      expect(await page.isVisible('#replay')).toBe(true);
      expect(await page.isVisible('#live')).toBe(false);
      await page.setInputFiles('#replay-files', FIXTURE);
      await waitInPage(page, 'the loaded run', () => document.getElementById('replay-summary')?.dataset.state === 'loaded', 30_000, log);
      expect(await page.textContent('#replay-summary')).toMatch(/search · micro space · preset tiny · mnist · seed 3 · 60 child steps/);

      // The slider starts at the last step; moving it redraws that step's architecture (B = 3 nodes: 6 boxes).
      const arcAt = async (index: number) => {
        await page.$eval(
          '#replay-step',
          (input, value) => {
            (input as HTMLInputElement).value = String(value);
            input.dispatchEvent(new Event('input'));
          },
          index,
        );
        return page.textContent('#replay-arch code.arc');
      };
      const records = readFileSync(FIXTURE[1] as string, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const children = records.filter((r: { type: string }) => r.type === 'child') as { arc: string }[];
      expect(await arcAt(0)).toBe(children[0]?.arc);
      expect(await page.textContent('#replay-step-label')).toMatch(/^child step 0 of 59 · epoch 0/);
      expect(await arcAt(37)).toBe(children[37]?.arc);
      for (const c of await drawings(page, '#replay-arch')) expect(c.nodes).toBe(6);

      const best = records.filter((r: { type: string }) => r.type === 'derive').at(-1).best as { arc: string };
      expect(await page.textContent('#replay-best code.arc')).toBe(best.arc);
      expect(await drawings(page, '#replay-best')).toHaveLength(2);
      expect(await page.textContent('#replay-best-label')).toMatch(/^epoch 6 · \d+\.\d% on a validation batch$/);

      // An earlier derive record (one per epoch, then the final one).
      const derives = records.filter((r: { type: string }) => r.type === 'derive') as { epoch: number; best: { arc: string } }[];
      expect(await page.$$eval('#replay-derive option', (o) => o.length)).toBe(derives.length);
      await page.selectOption('#replay-derive', '0');
      expect(await page.textContent('#replay-best code.arc')).toBe(derives[0]?.best.arc);
      expect(await page.textContent('#replay-best-label')).toMatch(/^epoch 0 · /);

      await page.waitForTimeout(300);
      expect(await seriesPixels(page, 'replay-chart-loss', BLUE)).toBeGreaterThan(20);
      expect(await seriesPixels(page, 'replay-chart-reward', GREEN)).toBeGreaterThan(20);
      expect(await seriesPixels(page, 'replay-chart-entropy', PURPLE)).toBeGreaterThan(20);
      await page.screenshot({ path: `${ARTIFACTS}viewer-replay.png`, fullPage: true });
    });
  }, 90_000);

  it('says clearly when the browser has no WebGPU, and replay still works there', async () => {
    const plain = await launchChromium({ webgpu: false });
    try {
      await withPage(
        '',
        async (page, log) => {
          await waitInPage(page, 'the no-WebGPU message', () => document.body.dataset.webgpu === 'missing', 30_000, log);
          expect(await page.isVisible('#live-message')).toBe(true);
          expect(await page.textContent('#live-message h3')).toBe('No WebGPU in this browser, so the live search cannot run here.');
          // Chromium without --enable-unsafe-webgpu on Linux has navigator.gpu but offers no adapter.
          expect(await page.textContent('#live-message .cause')).toMatch(/requestAdapter\(\) returned no adapter/);
          expect(await page.textContent('#live-message')).toMatch(/Chrome or Edge 113.*enable-unsafe-webgpu.*works without WebGPU/);
          expect(await page.getAttribute('#live-status', 'data-state')).toBe('no-webgpu');
          // No controls or empty views that cannot work.
          expect(await page.isVisible('#live-toggle')).toBe(false);
          expect(await page.isVisible('#live-arch')).toBe(false);
          await page.screenshot({ path: `${ARTIFACTS}viewer-no-webgpu.png`, fullPage: true });

          await page.click('#live-message button');
          expect(await page.isVisible('#replay')).toBe(true);
          await page.setInputFiles('#replay-files', FIXTURE);
          await waitInPage(
            page,
            'the loaded run',
            () => document.getElementById('replay-summary')?.dataset.state === 'loaded',
            30_000,
            log,
          );
          expect(await drawings(page, '#replay-best')).toHaveLength(2);
        },
        plain,
      );
    } finally {
      await plain.close();
    }
  }, 90_000);
});
