/** Runs the `enas` CLI from source in a child process, as a user would, and captures what it prints. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// Resolved here, so the child finds the TypeScript loader whatever its working directory.
const tsx = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runEnas(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000, cwd?: string): Promise<CliResult> {
  return spawnEnas(args, env, timeoutMs, cwd).done;
}

/** Starts the CLI and returns the child process (to send it signals) and a promise of its result. */
export function spawnEnas(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
  cwd?: string,
): { process: ReturnType<typeof spawn>; done: Promise<CliResult> } {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', tsx, main, ...args], {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    // A process that does not exit by itself (Dawn kept alive) fails the test through this timeout.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`enas ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { process: child, done };
}
