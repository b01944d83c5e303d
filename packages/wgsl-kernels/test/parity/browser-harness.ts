/**
 * Node side of the browser-parity test: bundles the page (esbuild), serves it on 127.0.0.1 only, drives Debian's
 * Chromium through playwright-core (never a downloaded browser) and collects what the page computed.
 *
 * Chromium exposes WebGPU headless only with --enable-unsafe-webgpu and runs it on SwiftShader, its CPU Vulkan
 * driver: slow (seconds per case are normal), and with WebGPU's default minStorageBufferOffsetAlignment of 256.
 * navigator.gpu exists only in secure contexts, which http://127.0.0.1 is and about:blank is not.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { PageState } from './browser-entry.js';
import type { ParityReport } from './run-parity.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Throws the message a developer needs when Chromium is not installed. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `browser parity: Chromium not found at ${CHROMIUM_PATH}. Run 'bash scripts/ensure-chromium.sh' from the repository root ` +
        "(npm test does; it installs Debian's chromium), or point CHROMIUM_PATH at a Chromium/Chrome binary.",
    );
  }
}

/** The page script: browser-entry.ts and everything it imports (the kernels' sources, not dist/), as one ES module. */
export async function bundleParityPage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./browser-entry.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('browser parity: esbuild produced no output');
  return file.text;
}

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>wgsl-kernels browser parity</title>
<style>body{font:12px monospace;margin:12px} td,th{padding:1px 8px;text-align:left} #adapter{white-space:pre-wrap}</style>
</head><body><h3>wgsl-kernels: browser parity</h3><div id="adapter">requesting adapter...</div>
<table id="results"></table><script type="module" src="/parity.js"></script></body></html>`;

export interface ParityServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the page and its script on 127.0.0.1 at a free port; nothing else. */
export async function serveParityPage(script: string): Promise<ParityServer> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', PAGE_HTML],
    '/parity.js': ['text/javascript; charset=utf-8', script],
  };
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://127.0.0.1').pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // --no-sandbox: Chromium refuses to run as root otherwise (CI runs as root).
    args: ['--no-sandbox', '--disable-quic', '--enable-unsafe-webgpu'],
    timeout: 60_000,
  });
}

/**
 * Polls the page until it reports done or failed. Fails early when the page crashes, and on timeout says how far
 * it got; `log` collects the page's console and errors for the message.
 */
export async function waitForParity(page: Page, timeoutMs: number, log: string[]): Promise<ParityReport> {
  let crashed = false;
  page.once('crash', () => {
    crashed = true;
  });
  const deadline = Date.now() + timeoutMs;
  let state: PageState | undefined;
  const tail = () => (log.length ? `\npage log (last lines):\n${log.slice(-20).join('\n')}` : '');
  while (Date.now() < deadline) {
    if (crashed) throw new Error(`browser parity: the page crashed after ${progress(state)}${tail()}`);
    state = await page.evaluate(() => (globalThis as unknown as { __parity?: PageState }).__parity);
    if (state?.status === 'done') return state.report;
    if (state?.status === 'failed') throw new Error(`browser parity: the page failed: ${state.error}${tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`browser parity: no result after ${timeoutMs / 1000} s (${progress(state)}); SwiftShader may be overloaded${tail()}`);
}

function progress(state: PageState | undefined): string {
  if (!state) return 'the page script never started';
  if (state.status === 'running') return `${state.done} of ${state.total} cases run`;
  return state.status;
}
