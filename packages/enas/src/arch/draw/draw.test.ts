import { Rng } from '@enas-webgpu/wgsl-kernels/testing';
import { describe, expect, it } from 'vitest';
import { macroSkipCount, parseMacroArchitecture } from '../macro.js';
import { MICRO_OPS, microCellOutputs, parseMicroArchitecture } from '../micro.js';
import { PUBLISHED_MACRO_ARC, PUBLISHED_MICRO_ARC, PUBLISHED_RNN_ARC } from '../published.js';
import { parseRnnArchitecture, RNN_FUNCS, rnnLooseEnds } from '../rnn.js';
import { sampleMacroArchitecture, sampleMicroArchitecture, sampleRnnArchitecture } from '../uniform-sample.js';
import { layoutDiagram } from './diagram.js';
import { drawArchitectureSvg } from './index.js';
import { drawMacroArchitectureSvg, MACRO_OP_LABELS, macroNetworkLayout } from './macro-network.js';
import { drawMicroArchitectureSvg, drawMicroCellSvg, MICRO_OP_LABELS, microCellDiagram } from './micro-cell.js';
import { drawRnnArchitectureSvg, RNN_FUNC_LABELS } from './rnn-cell.js';

/**
 * A small XML well-formedness check: every tag closes in order, attributes are quoted name="value" pairs, and no
 * raw '<' or stray '&' appears in text or attribute values. Returns the element names in document order.
 */
function checkWellFormed(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const entity = /&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (text: string, where: string) => {
    if (text.includes('<') || text.replace(entity, '').includes('&'))
      throw new Error(`bad character data ${where}: ${JSON.stringify(text.slice(0, 40))}`);
  };
  let at = 0;
  while (at < xml.length) {
    const open = xml.indexOf('<', at);
    if (open < 0) {
      checkText(xml.slice(at), 'after the last tag');
      break;
    }
    checkText(xml.slice(at, open), `before offset ${open}`);
    const close = xml.indexOf('>', open);
    if (close < 0) throw new Error(`unterminated tag at ${open}`);
    const body = xml.slice(open + 1, close);
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`</${name}> at ${open} does not close the open element`);
    } else {
      const selfClosing = body.endsWith('/');
      const m = /^([A-Za-z][\w:-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*\/?$/.exec(body);
      if (!m) throw new Error(`malformed tag at ${open}: <${body.slice(0, 60)}>`);
      checkText(
        (m[2] ?? '').replace(/="([^"]*)"/g, (_, v: string) => (v.replace(entity, '').includes('&') ? '&' : '')),
        `in attributes at ${open}`,
      );
      names.push(m[1]!);
      if (!selfClosing) stack.push(m[1]!);
    }
    at = close + 1;
  }
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.join(', ')}`);
  return names;
}

const texts = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]!);
const count = (svg: string, needle: string) => svg.split(needle).length - 1;

const MICRO = PUBLISHED_MICRO_ARC;
const MACRO_24 = PUBLISHED_MACRO_ARC;
const RNN = PUBLISHED_RNN_ARC;

describe('the XML check used below', () => {
  it('accepts well-formed XML and rejects the usual mistakes', () => {
    expect(checkWellFormed('<a x="1"><b/>t &amp; u</a>')).toEqual(['a', 'b']);
    expect(() => checkWellFormed('<a><b></a></b>')).toThrow('does not close');
    expect(() => checkWellFormed('<a>x & y</a>')).toThrow('bad character data');
    expect(() => checkWellFormed('<a x=1></a>')).toThrow('malformed tag');
    expect(() => checkWellFormed('<a y="&"></a>')).toThrow('in attributes');
    expect(() => checkWellFormed('<a><b>')).toThrow('unclosed elements: a, b');
  });
});

describe('micro cell drawing', () => {
  const arch = parseMicroArchitecture(MICRO);

  it('is well-formed SVG with every node and every op label, deterministically', () => {
    const svg = drawMicroArchitectureSvg(arch);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const elements = checkWellFormed(svg);
    expect(elements.filter((e) => e === 'svg')).toHaveLength(1);
    expect(texts(svg, 'diagram-title')).toEqual(['normal cell', 'reduction cell']);
    const nodeLabels = texts(svg, 'node-label');
    for (const label of ['h[-2]', 'h[-1]', 'node 2', 'node 3', 'node 4', 'node 5', 'node 6', 'concat']) {
      expect(nodeLabels.filter((l) => l === label)).toHaveLength(2);
    }
    // One labelled edge per op of each node, with that op's label.
    const expectedOps = [...arch.normal, ...arch.reduction].flatMap((n) => n.ops.map((op) => MICRO_OP_LABELS[op]));
    expect(texts(svg, 'edge-label').sort()).toEqual(expectedOps.sort());
    const outputs = microCellOutputs(arch.normal).length + microCellOutputs(arch.reduction).length;
    expect(count(svg, '<path class="edge"')).toBe(20 + outputs);
    expect(drawMicroArchitectureSvg(arch)).toBe(svg);
  });

  it('starts edges on the source node and ends them on the target node', () => {
    const layout = layoutDiagram(microCellDiagram(arch.reduction, 'reduction cell'));
    const byId = new Map(layout.nodes.map((n) => [n.id, n]));
    expect(layout.edges).toHaveLength(10 + 4);
    for (const edge of layout.edges) {
      const from = byId.get(edge.from)!;
      const to = byId.get(edge.to)!;
      const start = edge.points[0]!;
      const end = edge.points.at(-1)!;
      expect(start.x).toBeCloseTo(from.x + from.width / 2, 9);
      expect(Math.abs(start.y - from.y)).toBeLessThanOrEqual(from.height / 2);
      expect(end.x).toBeCloseTo(to.x - to.width / 2, 9);
      expect(Math.abs(end.y - to.y)).toBeLessThanOrEqual(to.height / 2);
      expect(to.x).toBeGreaterThan(from.x);
    }
  });

  it('escapes text', () => {
    const svg = drawMicroCellSvg(arch.normal, 'cell <a & "b">');
    checkWellFormed(svg);
    expect(svg).toContain('cell &lt;a &amp; &quot;b&quot;&gt;');
  });
});

describe('macro network drawing', () => {
  const arch = parseMacroArchitecture(MACRO_24);

  it('is well-formed SVG with every layer, op and skip, deterministically', () => {
    expect(arch.layers).toHaveLength(24);
    const svg = drawMacroArchitectureSvg(arch);
    checkWellFormed(svg);
    const labels = texts(svg, 'node-label');
    for (const [i, layer] of arch.layers.entries()) expect(labels).toContain(`${i}: ${MACRO_OP_LABELS[layer.op]}`);
    expect(labels.filter((l) => l === 'reduce ÷2')).toHaveLength(2);
    expect(labels[0]).toBe('image → stem conv 3×3');
    expect(labels.at(-1)).toBe('global avg pool, fc');
    expect(count(svg, '<path class="edge edge-skip"')).toBe(macroSkipCount(arch));
    expect(count(svg, '<path class="edge"')).toBe(labels.length - 1);
    expect(drawMacroArchitectureSvg(arch)).toBe(svg);
  });

  it('keeps the layers in one column and never lets two arcs of a lane overlap', () => {
    const layout = macroNetworkLayout(arch, 'm');
    expect(new Set(layout.nodes.map((n) => n.x)).size).toBe(1);
    const ys = layout.nodes.map((n) => n.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    const byLane = new Map<number, [number, number][]>();
    for (const edge of layout.edges.filter((e) => e.kind === 'skip')) {
      const laneX = edge.points[1]!.x;
      expect(edge.points[2]!.x).toBe(laneX);
      const span: [number, number] = [edge.points[1]!.y, edge.points[2]!.y];
      for (const other of byLane.get(laneX) ?? []) expect(span[1] < other[0] || other[1] < span[0]).toBe(true);
      byLane.set(laneX, [...(byLane.get(laneX) ?? []), span]);
      expect(edge.points.every((p) => p.x <= layout.width)).toBe(true);
    }
  });
});

describe('RNN cell drawing', () => {
  const arch = parseRnnArchitecture(RNN);

  it('is well-formed SVG with every node, its function, and the averaged nodes', () => {
    const svg = drawRnnArchitectureSvg(arch);
    checkWellFormed(svg);
    const labels = texts(svg, 'node-label');
    expect(labels).toEqual(expect.arrayContaining(['x[t]', 'h[t-1]', '0: tanh', 'h[t] = mean']));
    for (const [k, node] of arch.nodes.entries()) expect(labels).toContain(`${k + 1}: ${RNN_FUNC_LABELS[node.func]}`);
    expect(RNN_FUNC_LABELS).toEqual(RNN_FUNCS);
    // Edges: x and h into node 0, one per searched node, and one per averaged node into the output.
    expect(count(svg, '<path class="edge"')).toBe(2 + 8 + 8);
    expect(count(svg, 'node-emphasis')).toBe(rnnLooseEnds(arch).length);
    const loose = drawRnnArchitectureSvg(arch, 'RNN cell', { average: 'loose-ends' });
    expect(count(loose, '<path class="edge"')).toBe(2 + 8 + 2);
    expect(drawRnnArchitectureSvg(arch)).toBe(svg);
  });
});

describe('drawings of sampled architectures', () => {
  it('are well-formed and hold one node per element of the architecture', () => {
    const rng = new Rng(21);
    const random = () => rng.next();
    for (let t = 0; t < 4; t++) {
      const micro = sampleMicroArchitecture(random, 2 + t);
      expect(texts(drawArchitectureSvg(micro), 'node-label')).toHaveLength(2 * (micro.normal.length + 3));
      const macro = sampleMacroArchitecture(random, 3 + 3 * t);
      const macroSvg = drawArchitectureSvg(macro);
      checkWellFormed(macroSvg);
      expect(count(macroSvg, 'edge-skip"')).toBe(macroSkipCount(macro));
      const rnn = sampleRnnArchitecture(random, 2 + 3 * t);
      const rnnSvg = drawArchitectureSvg(rnn);
      checkWellFormed(rnnSvg);
      expect(texts(rnnSvg, 'node-label')).toHaveLength(rnn.nodes.length + 4);
    }
    expect(MICRO_OP_LABELS).toHaveLength(MICRO_OPS.length);
  });

  it('rejects a diagram with an unknown or duplicate node', () => {
    const base = { title: 'd', direction: 'LR' as const, nodes: [{ id: 'a', label: 'a', kind: 'node' as const }] };
    expect(() => layoutDiagram({ ...base, edges: [{ from: 'a', to: 'b' }] })).toThrow(
      'layoutDiagram: "d" edge 0 refers to unknown node "b"',
    );
    expect(() => layoutDiagram({ ...base, nodes: [...base.nodes, ...base.nodes], edges: [] })).toThrow('duplicate node ids');
  });
});
