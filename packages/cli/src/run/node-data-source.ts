/** A DataSource over a directory of the local file system (the enas core reads datasets through this interface). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSource } from '@enas-webgpu/enas';
import { UsageError } from '../run-cli.js';

export function directoryDataSource(dir: string, option = '--data'): DataSource {
  const root = resolve(dir);
  if (!existsSync(root)) throw new UsageError(`${option} ${dir}: no such directory; give the directory that holds the dataset files`);
  if (!statSync(root).isDirectory())
    throw new UsageError(`${option} ${dir}: not a directory; give the directory that holds the dataset files`);
  return {
    description: root,
    async readFile(name) {
      return new Uint8Array(readFileSync(join(root, name)));
    },
    async exists(name) {
      return existsSync(join(root, name));
    },
  };
}
