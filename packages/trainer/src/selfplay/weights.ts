import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';

/** Every weight of some networks in one shared buffer: sent to all workers without a copy per worker. */
export interface PackedWeights {
  buffer: SharedArrayBuffer;
  entries: { name: string; shapes: number[][]; offset: number }[];
}

/** Packs the weights of named networks (float32) into one SharedArrayBuffer. */
export function packWeights(models: Record<string, tf.LayersModel>): PackedWeights {
  const lists = Object.entries(models).map(([name, net]) => ({ name, ws: net.getWeights() }));
  const total = lists.reduce((a, l) => a + l.ws.reduce((b, w) => b + w.size, 0), 0);
  const buffer = new SharedArrayBuffer(total * 4);
  const view = new Float32Array(buffer);
  let at = 0;
  const entries: PackedWeights['entries'] = [];
  for (const { name, ws } of lists) {
    entries.push({ name, shapes: ws.map((w) => [...w.shape]), offset: at });
    for (const w of ws) {
      view.set(w.dataSync() as Float32Array, at);
      at += w.size;
    }
  }
  return { buffer, entries };
}

/** Sets a network's weights from the packed entry `name`. */
export function unpackInto(net: tf.LayersModel, pack: PackedWeights, name: string): void {
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
}
