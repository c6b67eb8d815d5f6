import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';

/** Every weight of some networks in one shared buffer: sent to all workers without a copy per worker. */
export interface PackedWeights {
  buffer: SharedArrayBuffer;
  /** `checksum` (FNV-1a over the float bits) lets a worker skip weights it already holds. */
  entries: { name: string; shapes: number[][]; offset: number; checksum: number }[];
}

/** Packs the weights of named networks (float32) into one SharedArrayBuffer. */
export function packWeights(models: Record<string, tf.LayersModel>): PackedWeights {
  const lists = Object.entries(models).map(([name, net]) => ({ name, ws: net.getWeights() }));
  const total = lists.reduce((a, l) => a + l.ws.reduce((b, w) => b + w.size, 0), 0);
  const buffer = new SharedArrayBuffer(total * 4);
  const view = new Float32Array(buffer);
  let at = 0;
  const entries: PackedWeights['entries'] = [];
  const bits = new Uint32Array(buffer);
  for (const { name, ws } of lists) {
    const offset = at;
    for (const w of ws) {
      view.set(w.dataSync() as Float32Array, at);
      at += w.size;
    }
    let h = 0x811c9dc5;
    for (let k = offset; k < at; k++) h = Math.imul(h ^ bits[k], 0x01000193) >>> 0;
    entries.push({ name, shapes: ws.map((w) => [...w.shape]), offset, checksum: h });
  }
  return { buffer, entries };
}

/** Sets a network's weights from the packed entry `name`; returns the entry's checksum. */
export function unpackInto(net: tf.LayersModel, pack: PackedWeights, name: string): number {
  const e = pack.entries.find((x) => x.name === name);
  if (!e) throw new HopError('E_INTERNAL', `packed weights hold no '${name}'`);
  const view = new Float32Array(pack.buffer);
  let at = e.offset;
  const tensors = e.shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(view.slice(at, at + n), shape, 'float32');
    at += n;
    return t;
  });
  try {
    net.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
  return e.checksum;
}

/** The checksum of entry `name` (undefined when absent). */
export function checksumOf(pack: PackedWeights, name: string): number | undefined {
  return pack.entries.find((x) => x.name === name)?.checksum;
}
