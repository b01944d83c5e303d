/**
 * Node side of the viewer's end-to-end tests: builds the app with Vite into a temporary folder, serves it with
 * `vite preview` on 127.0.0.1 (what `npm run viewer` serves), and drives Debian's Chromium through playwright-core
 * (never a downloaded browser; see shared/env/BROWSER.md). Chromium launch flags as in wgsl-kernels'
 * test/parity/browser-harness.ts: WebGPU runs on SwiftShader, its CPU Vulkan driver, only with
 * --enable-unsafe-webgpu; without it requestAdapter() returns null, which is how the no-WebGPU test gets its browser.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `viewer tests: Chromium not found at ${CHROMIUM_PATH}. Run 'bash scripts/ensure-chromium.sh' from the repository root ` +
        "(npm test does; it installs Debian's chromium), or point CHROMIUM_PATH at a Chromium/Chrome binary.",
    );
  }
}

export interface ViewerServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A production build of the viewer, served on 127.0.0.1 at a free port. */
export async function buildAndServeViewer(): Promise<ViewerServer> {
  const outDir = mkdtempSync(join(tmpdir(), 'enas-viewer-'));
  let server: PreviewServer | undefined;
  try {
    await build({ root: APP_ROOT, logLevel: 'error', build: { outDir, emptyOutDir: true } });
    server = await preview({ root: APP_ROOT, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, open: false } });
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('viewer tests: vite preview reported no local URL');
  const running = server;
  return {
    url,
    close: async () => {
      await running.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium; `webgpu: false` leaves out --enable-unsafe-webgpu, so the page sees no adapter. */
export async function launchChromium(options: { webgpu: boolean }): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // --no-sandbox: Chromium refuses to run as root otherwise (CI runs as root).
    args: ['--no-sandbox', '--disable-quic', ...(options.webgpu ? ['--enable-unsafe-webgpu'] : [])],
    timeout: 60_000,
  });
}

/** A page whose console and errors are collected, for failure messages. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  await page.goto(url);
  return { page, log };
}

/** Polls `probe` in the page until it returns a truthy value; on timeout the message says what the page logged. */
export async function waitInPage<T>(page: Page, what: string, probe: () => T, timeoutMs: number, log: string[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let crashed = false;
  page.once('crash', () => {
    crashed = true;
  });
  for (;;) {
    if (crashed) throw new Error(`viewer: the page crashed while waiting for ${what}\n${log.slice(-20).join('\n')}`);
    const value = await page.evaluate(probe);
    if (value) return value as T;
    if (Date.now() > deadline) {
      const status = await page.evaluate(() => document.getElementById('live-status')?.textContent ?? '(no status)');
      throw new Error(`viewer: no ${what} after ${timeoutMs / 1000} s; status: ${status}\npage log:\n${log.slice(-20).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
