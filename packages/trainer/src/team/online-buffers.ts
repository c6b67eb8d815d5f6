import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readNpy, writeNpy, type NpyArray } from '@hop/core';
import type { OnlineMOA, OnlineMOASnapshot } from '@hop/moa';

/** Every focal player's online buffers as .npy files under `<dir>/online/focal-i/`. */
export async function saveOnlineBuffers(dir: string, online: OnlineMOA[]): Promise<void> {
  for (let i = 0; i < online.length; i++) {
    const snap = online[i].snapshot();
    const d = join(dir, 'online', `focal-${i}`);
    await mkdir(d, { recursive: true });
    for (let m = 0; m < snap.buffers.length; m++) {
      const b = snap.buffers[m];
      const O = b.size > 0 ? b.obs.length / b.size : 0;
      const A = b.size > 0 ? b.mask.length / b.size : 0;
      await writeNpy(join(d, `${m}-obs.npy`), { dtype: 'float32', shape: [b.size, O], data: b.obs });
      await writeNpy(join(d, `${m}-mask.npy`), { dtype: 'uint8', shape: [b.size, A], data: b.mask });
      await writeNpy(join(d, `${m}-time.npy`), { dtype: 'float32', shape: [b.size], data: b.time });
      await writeNpy(join(d, `${m}-action.npy`), { dtype: 'int32', shape: [b.size], data: b.action });
      await writeNpy(join(d, `${m}-label.npy`), { dtype: 'int32', shape: [b.size], data: b.label });
    }
  }
}

/** Puts online buffers saved by `saveOnlineBuffers` back, with each focal player's training rounds. */
export async function loadOnlineBuffers(dir: string, onlineRounds: number[][], online: OnlineMOA[]): Promise<void> {
  for (let i = 0; i < online.length; i++) {
    const d = join(dir, 'online', `focal-${i}`);
    const rounds = onlineRounds[i];
    const buffers: OnlineMOASnapshot['buffers'] = [];
    for (let m = 0; m < rounds.length; m++) {
      const r = async (n: string): Promise<NpyArray> => readNpy(join(d, `${m}-${n}.npy`));
      const obs = await r('obs');
      buffers.push({
        size: obs.shape[0],
        obs: obs.data as Float32Array,
        mask: (await r('mask')).data as Uint8Array,
        time: (await r('time')).data as Float32Array,
        action: (await r('action')).data as Int32Array,
        label: (await r('label')).data as Int32Array,
      });
    }
    online[i].restore({ rounds, buffers });
  }
}
