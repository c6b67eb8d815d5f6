import type { Agent, GridObservation } from '@hop/core/base';
import { HopError } from '@hop/core/base';
import { ACTION_NAMES, type StagHuntConfig } from '../config';
import { makeGeometry } from '../core/geometry';
import type { StagHuntEnv } from '../env/parallel';
import type { EpisodeStats } from '../env/stats';
import { renderAscii } from './ascii';
import { renderSvg } from './svg';

/** An episode as a sequence of state records (what a replay shows). */
export interface EpisodeRecord {
  config: StagHuntConfig;
  /** `states[t]`: the state at time t (length = steps + 1). */
  states: Int32Array[];
  /** `actions[t][p]`: action of player p at step t (-1 when it was done). */
  actions: number[][];
  /** `rewards[t][p]`. */
  rewards: number[][];
  stats: EpisodeStats;
}

/**
 * Plays one episode of `env` from `reset(seed)` with one agent per player (agent p gets `reset(agentSeeds[p])`
 * when given) and records it.
 */
export function recordEpisode(
  env: StagHuntEnv,
  agents: readonly Agent<GridObservation>[],
  seed: number,
  agentSeeds?: readonly number[],
): EpisodeRecord {
  const P = env.geometry.players;
  if (agents.length !== P) throw new HopError('E_CONFIG', `recordEpisode needs ${P} agents, got ${agents.length}`);
  agents.forEach((a, p) => a.reset?.(agentSeeds?.[p] ?? seed + p));
  let { observations } = env.reset(seed);
  const rec: EpisodeRecord = { config: env.config, states: [env.state()], actions: [], rewards: [], stats: env.episodeStats() };
  while (env.agents.length > 0) {
    const acts: Record<string, number> = {};
    const row = new Array<number>(P).fill(-1);
    for (const name of env.agents) {
      const p = env.possibleAgents.indexOf(name);
      acts[name] = agents[p].act(observations[name]);
      row[p] = acts[name];
    }
    const res = env.step(acts);
    observations = res.observations;
    rec.actions.push(row);
    rec.rewards.push(env.possibleAgents.map((a) => res.rewards[a] ?? 0));
    rec.states.push(env.state());
  }
  rec.stats = env.episodeStats();
  return rec;
}

/** ASCII frames of a record (a terminal "replay"). */
export function asciiFrames(rec: EpisodeRecord): string[] {
  const g = makeGeometry(rec.config);
  return rec.states.map((s) => renderAscii(g, s, 0));
}

/** SVG frames of a record, each with the actions that led to it and the returns so far. */
export function svgFrames(rec: EpisodeRecord, cellSize?: number): string[] {
  const g = makeGeometry(rec.config);
  const returns = new Float64Array(g.players);
  return rec.states.map((s, t) => {
    let caption = 'start';
    if (t > 0) {
      rec.rewards[t - 1].forEach((r, p) => (returns[p] += r));
      caption = rec.actions[t - 1].map((a, p) => (a < 0 ? '' : `${p}:${ACTION_NAMES[a]}`)).filter(Boolean).join(' ');
    }
    return renderSvg(g, s, 0, { cellSize, caption, returns });
  });
}

/**
 * A self-contained HTML page (no network) replaying a record: a step slider, previous / next / play buttons
 * (arrow keys and space work too) and the episode statistics.
 */
export function replayHtml(rec: EpisodeRecord, opts: { title?: string; cellSize?: number } = {}): string {
  const title = opts.title ?? 'Stag-Hunt episode replay';
  const frames = svgFrames(rec, opts.cellSize);
  const s = rec.stats;
  const statsLine =
    `length ${s.length} · stags ${s.stagsCaught} · hares ${s.haresCaught} · prey ratio ` +
    `${s.preyRatio === null ? 'n/a' : s.preyRatio.toFixed(2)} · first hunt ${s.firstHuntTime < 0 ? 'none' : `t=${s.firstHuntTime}`} · ` +
    `returns ${s.returns.map((r) => r.toFixed(2)).join(', ')}`;
  // </script> inside the JSON would end the script element early
  const data = JSON.stringify(frames).replace(/</g, '\\u003c');
  const esc = (x: string) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fff}
#controls{display:flex;gap:8px;align-items:center;margin:12px 0}
#slider{width:260px}
#label{white-space:nowrap;font-size:13px}
button{font-size:14px;padding:4px 10px}
#stats{color:#555;font-size:13px}
</style></head><body>
<h2>${esc(title)}</h2>
<div id="stats">${esc(statsLine)}</div>
<div id="controls"><button id="prev">&#9664;</button><button id="play">play</button><button id="next">&#9654;</button>
<input id="slider" type="range" min="0" max="${frames.length - 1}" value="0"><span id="label"></span></div>
<div id="frame"></div>
<script>
const frames = ${data};
const slider = document.getElementById('slider'), frame = document.getElementById('frame'), label = document.getElementById('label');
let timer = null;
function show(i){ i = Math.max(0, Math.min(frames.length - 1, i)); slider.value = i; frame.innerHTML = frames[i]; label.textContent = 'step ' + i + ' / ' + (frames.length - 1); }
slider.addEventListener('input', () => show(+slider.value));
document.getElementById('prev').onclick = () => show(+slider.value - 1);
document.getElementById('next').onclick = () => show(+slider.value + 1);
function toggle(){ const b = document.getElementById('play'); if (timer) { clearInterval(timer); timer = null; b.textContent = 'play'; return; }
  if (+slider.value >= frames.length - 1) show(0);
  b.textContent = 'pause'; timer = setInterval(() => { if (+slider.value >= frames.length - 1) { toggle(); } else show(+slider.value + 1); }, 500); }
document.getElementById('play').onclick = toggle;
document.addEventListener('keydown', (e) => { if (e.key === 'ArrowLeft') show(+slider.value - 1); else if (e.key === 'ArrowRight') show(+slider.value + 1); else if (e.key === ' ') { e.preventDefault(); toggle(); } });
show(0);
</script></body></html>
`;
}
