import { collect } from '../../env-staghunt/src/index';
const [out, episodes, pop] = [process.argv[2], Number(process.argv[3]), process.argv[4] ?? 'mixed'];
const t0 = performance.now();
const r = await collect({ preset: 'hop-msh', population: pop as 'mixed', episodes, seed: 1, out });
console.log(JSON.stringify(r.meta.counts), ((performance.now() - t0) / 1000).toFixed(1), 's');
