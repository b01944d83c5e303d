/**
 * Where dataset files come from. The enas core never touches a file system: the CLI wraps Node's fs, the viewer
 * wraps the File objects of an <input type="file">, tests use memory.
 */

export interface DataSource {
  /** Says where files are looked up (a directory path, "files chosen in the browser"), for error messages. */
  readonly description: string;
  /** The file's bytes; `name` is a bare file name such as `data_batch_1.bin`. */
  readFile(name: string): Promise<Uint8Array>;
  exists(name: string): Promise<boolean>;
}

/** A source over in-memory files (strings are stored as UTF-8). */
export function memoryDataSource(files: Readonly<Record<string, Uint8Array | string>>, description = 'memory'): DataSource {
  const bytes = new Map(Object.entries(files).map(([name, f]) => [name, typeof f === 'string' ? new TextEncoder().encode(f) : f]));
  return {
    description,
    async readFile(name) {
      const file = bytes.get(name);
      if (!file) throw new Error(`${name} is not in ${description} (it holds ${[...bytes.keys()].join(', ') || 'no files'})`);
      return file;
    },
    async exists(name) {
      return bytes.has(name);
    },
  };
}

/** The part of a browser `File` (or any Blob with a name) that a source needs. */
export interface NamedBlob {
  readonly name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A source over files the user picked in a browser (a FileList or an array of File). Files are matched by their
 * base name, so picking a whole `cifar-10-batches-bin` folder works as well as picking the files.
 */
export function fileListDataSource(files: Iterable<NamedBlob>, description = 'the chosen files'): DataSource {
  const byName = new Map<string, NamedBlob>();
  for (const file of files) byName.set(file.name.slice(file.name.lastIndexOf('/') + 1), file);
  return {
    description,
    async readFile(name) {
      const file = byName.get(name);
      if (!file) throw new Error(`${name} is not among ${description}`);
      return new Uint8Array(await file.arrayBuffer());
    },
    async exists(name) {
      return byName.has(name);
    },
  };
}

/** Reads a file that a dataset needs, failing with the dataset, the file, the source and what was expected. */
export async function readDatasetFile(source: DataSource, dataset: string, name: string, expected: string): Promise<Uint8Array> {
  if (!(await source.exists(name))) {
    throw new Error(`${dataset}: ${name} is missing from ${source.description}; expected ${expected}`);
  }
  return source.readFile(name);
}
