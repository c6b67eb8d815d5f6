import type { Agent, GridObservation } from '@hop/core/base';
import { HopError } from '@hop/core/base';
import { ACTION_NAMES, type StagHuntConfig } from '../config';
import { makeGeometry } from '../core/geometry';
import type { StagHuntEnv } from '../env/parallel';
import type { EpisodeStats } from '../env/stats';
import { renderAscii } from './ascii';
import { legendHtml, renderSvg } from './svg';

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
  /** What the agents thought at each decision (recorded by planners that have beliefs / search trees). */
  decisions?: DecisionRecord;
}

/**
 * Per step t and player p, what p's agent computed when it chose `actions[t][p]` (null where p was done or the
 * agent records nothing): the root visit counts of its search over the actions, and its belief about each
 * co-player's goal.
 */
export interface DecisionRecord {
  /** Names of the goals the beliefs range over (e.g. ['stag', 'hare']). */
  goalNames: string[];
  /** `visits[t][p]`: `[A]` root visit counts of the search of player p at step t. */
  visits: (number[] | null)[][];
  /** `beliefs[t][p]`: `[P-1][G]` p's belief about each co-player (co-players in player order, p skipped). */
  beliefs: (number[][] | null)[][];
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

export interface ReplayPageOptions {
  /** Page title and heading; say which episode this is (default 'Stag-Hunt episode replay'). */
  title?: string;
  /** A line under the heading (e.g. which run, iteration and seed the episode comes from). */
  subtitle?: string;
  cellSize?: number;
}

/**
 * A self-contained HTML page (no network) replaying ONE episode: a step slider, previous / next / play buttons
 * (arrow keys and space work too), the episode's statistics, a legend of the glyphs, and, when the record has
 * `decisions`, an overlay of one chosen player's root visit distribution and beliefs about its co-players at
 * the shown step.
 */
export function replayHtml(rec: EpisodeRecord, opts: ReplayPageOptions = {}): string {
  const title = opts.title ?? 'Stag-Hunt episode replay';
  const frames = svgFrames(rec, opts.cellSize);
  const s = rec.stats;
  const statsLine =
    `length ${s.length} steps · stags ${s.stagsCaught} · hares ${s.haresCaught} · prey ratio ` +
    `${s.preyRatio === null ? 'n/a' : s.preyRatio.toFixed(2)} · first hunt ${s.firstHuntTime < 0 ? 'none' : `t=${s.firstHuntTime}`} · ` +
    `episode returns ${s.returns.map((r, p) => `P${p} ${r.toFixed(2)}`).join(', ')}`;
  const players = makeGeometry(rec.config).players;
  // </script> inside the JSON would end the script element early
  const json = (x: unknown) => JSON.stringify(x).replace(/</g, '\\u003c');
  const esc = (x: string) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const d = rec.decisions;
  const overlay = d
    ? `<div id="overlay-controls"><label>Show what a player computed at this step: <select id="who"><option value="-1">nobody</option>` +
      Array.from({ length: players }, (_, p) => `<option value="${p}"${p === 0 ? ' selected' : ''}>P${p}</option>`).join('') +
      `</select></label></div><div id="overlay"></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fff}
#controls{display:flex;gap:8px;align-items:center;margin:12px 0}
#slider{width:260px}
#label{white-space:nowrap;font-size:13px}
button{font-size:14px;padding:4px 10px}
#stats,.sub{color:#555;font-size:13px}
#legend{display:flex;gap:14px;align-items:center;font-size:13px;margin:8px 0}
#legend span{display:inline-flex;align-items:center;gap:4px}
#view{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}
#overlay{font-size:12px;min-width:260px}
#overlay h4{margin:10px 0 4px;font-size:13px}
.bar{display:flex;align-items:center;gap:6px;margin:2px 0}.bar i{display:inline-block;height:10px;background:#4e79a7}
.bar b{display:inline-block;width:74px;font-weight:normal;text-align:right}.bar em{font-style:normal;color:#555}
</style></head><body>
<h2 id="title">${esc(title)}</h2>
${opts.subtitle ? `<div class="sub">${esc(opts.subtitle)}</div>` : ''}
<div id="stats">${esc(statsLine)}</div>
<div id="legend">${legendHtml(players, rec.config.stagMinHunters)}</div>
<div id="controls"><button id="prev">&#9664;</button><button id="play">play</button><button id="next">&#9654;</button>
<input id="slider" type="range" min="0" max="${frames.length - 1}" value="0"><span id="label"></span></div>
${overlay}
<div id="view"><div id="frame"></div><div id="panel"></div></div>
<script>
const frames = ${json(frames)};
const actions = ${json(rec.actions)};
const decisions = ${json(d ?? null)};
const actionNames = ${json(ACTION_NAMES)};
const slider = document.getElementById('slider'), frame = document.getElementById('frame'), label = document.getElementById('label');
const who = document.getElementById('who'), panel = document.getElementById('panel');
let timer = null;
function bars(values, names){ const tot = values.reduce((a, b) => a + b, 0) || 1;
  return values.map((v, i) => '<div class="bar"><b>' + names[i] + '</b><i style="width:' + Math.round(150 * v / tot) + 'px"></i><em>' + (v / tot).toFixed(2) + '</em></div>').join(''); }
function overlay(t){ if (!decisions || !who || +who.value < 0) { panel.innerHTML = ''; return; }
  const p = +who.value;
  if (t >= decisions.visits.length) { panel.innerHTML = '<p>P' + p + ': the episode is over; no decision at this step.</p>'; return; }
  const v = decisions.visits[t][p], b = decisions.beliefs[t] ? decisions.beliefs[t][p] : null;
  if (!v && !b) { panel.innerHTML = '<p>P' + p + ' made no decision at step ' + t + ' (done).</p>'; return; }
  let h = '<div id="overlay-p' + p + '">';
  if (v) h += '<h4>P' + p + ' at step ' + t + ': root visit share of its search (chose ' + actionNames[actions[t][p]] + ')</h4>' + bars(v, actionNames);
  if (b) { const co = []; for (let q = 0; q < ${players}; q++) if (q !== p) co.push(q);
    b.forEach((row, j) => { h += '<h4>P' + p + '\u2019s belief about P' + co[j] + '\u2019s goal</h4>' + bars(row, decisions.goalNames); }); }
  panel.innerHTML = h + '</div>'; }
function show(i){ i = Math.max(0, Math.min(frames.length - 1, i)); slider.value = i; frame.innerHTML = frames[i]; label.textContent = 'step ' + i + ' / ' + (frames.length - 1); overlay(i); }
slider.addEventListener('input', () => show(+slider.value));
if (who) who.addEventListener('change', () => show(+slider.value));
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
