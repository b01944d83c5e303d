/** `enas arch show|validate`: check an architecture string, print it as JSON, draw it as SVG. */
import { readFileSync } from 'node:fs';
import {
  architectureToJSON,
  drawArchitectureSvg,
  formatCount,
  parseArchitecture,
  printArchitecture,
  type SearchSpace,
  searchSpaceSize,
} from '@enas-webgpu/enas';
import { writeFileAtomic } from '../run/files.js';
import { UsageError } from '../run-cli.js';

interface ArchOptions {
  space?: string;
  file?: string;
  output?: string;
  json?: boolean;
}

function readArc(arc: string | undefined, o: ArchOptions): { space: SearchSpace; text: string } {
  const space = (o.space ?? 'micro') as SearchSpace;
  if (!['micro', 'macro', 'rnn'].includes(space)) throw new UsageError(`--space ${o.space}: choose micro, macro or rnn`);
  if (arc !== undefined && o.file) throw new UsageError('give the architecture as an argument or with --file, not both');
  const text = o.file ? readFileSync(o.file, 'utf8') : arc;
  if (text === undefined) throw new UsageError('give an architecture string (quoted) or --file FILE');
  return { space, text };
}

function parse(space: SearchSpace, text: string) {
  try {
    return parseArchitecture(space, text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function archValidateCommand(arc: string | undefined, o: ArchOptions): void {
  const { space, text } = readArc(arc, o);
  const a = parse(space, text);
  console.log(`valid ${space} architecture: ${printArchitecture(a)}`);
}

export function archShowCommand(arc: string | undefined, o: ArchOptions): void {
  const { space, text } = readArc(arc, o);
  const a = parse(space, text);
  if (o.json) console.log(JSON.stringify(architectureToJSON(a), null, 2));
  else
    console.log(`${space} architecture (the default ${space} space has ${formatCount(searchSpaceSize(space))}): ${printArchitecture(a)}`);
  if (o.output) {
    writeFileAtomic(o.output, drawArchitectureSvg(a));
    console.log(`drawing written to ${o.output}`);
  }
}
