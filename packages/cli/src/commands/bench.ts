/**
 * `enas bench`: the kernel benchmark table (packages/wgsl-kernels/bench), beside tfjs-backend-webgpu on the same
 * device. It needs the repository checkout (the benchmark and its peer are development dependencies).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../run-cli.js';

export function benchCommand(args: string[]): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../../wgsl-kernels/bench/main.ts'), join(here, '../../../wgsl-kernels/bench/main.ts')];
  const main = candidates.find((p) => existsSync(p));
  if (!main) throw new UsageError('the kernel benchmark ships with the enas-webgpu repository; run it from a checkout (npm run bench)');
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { stdio: 'inherit', cwd: dirname(dirname(main)) });
  process.exitCode = r.status ?? 1;
}
