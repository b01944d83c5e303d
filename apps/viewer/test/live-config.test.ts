import { describe, expect, it } from 'vitest';
import { LIVE_PRESETS, liveConfigFromUrl, liveSearchOptions, liveSpaceOptions } from '../src/live/live-config.js';

const url = (query: string) => liveConfigFromUrl(new URLSearchParams(query));

describe('live search configuration from the URL', () => {
  it('defaults to the small preset on MNIST, paused', () => {
    expect(url('')).toEqual({ ...LIVE_PRESETS.small, autostart: false });
    expect(url('').dataset).toBe('mnist');
  });

  it('takes a preset and overrides each option by its short name', () => {
    const c = url('preset=tiny&nodes=3&lstm=8&batch=2&epoch=5&ctrl=2&aggregate=3&seed=0&maxSteps=7&autostart=1&data=cifar10');
    expect(c).toMatchObject({ preset: 'tiny', nodes: 3, lstmSize: 8, batchSize: 2, epochSteps: 5, controllerSteps: 2, aggregate: 3 });
    expect(c).toMatchObject({ seed: 0, maxSteps: 7, autostart: true, dataset: 'cifar10', filters: LIVE_PRESETS.tiny?.filters });
  });

  it('names the parameter and what it accepts when a value is bad', () => {
    expect(() => url('preset=huge')).toThrow(/preset=huge: unknown preset; use one of small, tiny/);
    expect(() => url('nodes=0')).toThrow(/nodes=0: expected an integer >= 1/);
    expect(() => url('batch=2.5')).toThrow(/batch=2.5: expected an integer >= 1/);
    expect(() => url('filters=5')).toThrow(/filters=5: must be even/);
    expect(() => url('data=imagenet')).toThrow(/data=imagenet: use mnist or cifar10/);
  });

  it('builds the micro space for the data and the search schedule for the dataset', () => {
    const c = url('preset=tiny');
    const space = liveSpaceOptions(c, { channels: 1, size: 28, classes: 10 });
    expect(space.child).toMatchObject({ layers: c.layers, nodes: 2, filters: 4, inputChannels: 1, imageSize: 28, classes: 10 });
    expect(space.controller).toEqual({ lstmSize: 16 });
    const mnist = liveSearchOptions(c);
    expect(mnist).toMatchObject({ batchSize: 4, childStepsPerEpoch: 3, controllerSteps: 1, aggregate: 1, seed: c.seed });
    // Mirrored digits are other digits; mirrored CIFAR images are the same class.
    expect(mnist.augment.flip).toBe(false);
    expect(liveSearchOptions({ ...c, dataset: 'cifar10' }).augment.flip).toBe(true);
  });
});
