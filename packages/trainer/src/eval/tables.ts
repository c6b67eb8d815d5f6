import { type ReportSection, table } from '../report/html';
import { singleChart } from '../report/charts';
import type { EvalCell, Protocol } from './protocol';

/** One row of an evaluation table: mean +- std over seeds of the per-seed mean focal reward. */
export interface EvalRow {
  agent: string;
  /** `run`, `rule` (reference) or `ceiling` (best-responding rule team per co-player type). */
  kind: 'run' | 'rule' | 'ceiling';
  protocol: Protocol;
  focal: number;
  /** Co-player type, `self` (self-play) or `overall` (the mean over co-player types, per seed). */
  coPlayer: string;
  mean: number;
  std: number;
  seeds: number;
  episodes: number;
  /** Ceiling rows: which rule population it is. */
  bestOf?: string;
}

export interface EvalTables {
  rows: EvalRow[];
  /** Adaptation curves: focal reward per episode index (mean over seeds), per agent, focal count and co-player. */
  curves: { agent: string; protocol: Protocol; focal: number; coPlayer: string; perEpisode: number[] }[];
}

/** Sample mean and (population-free) standard deviation over seeds; std 0 for one seed. */
export function meanStd(xs: number[]): { mean: number; std: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

/**
 * Tables of evaluation cells: per (agent, protocol, focal count, co-player) and an `overall` row per
 * (agent, protocol, focal count) that first averages the co-player types within each seed. For the adapt
 * protocol a `ceiling` row takes, per co-player type, the rule population that did best against it.
 */
export function buildTables(cells: EvalCell[], kinds: Record<string, 'run' | 'rule'>): EvalTables {
  const rows: EvalRow[] = [];
  const curves: EvalTables['curves'] = [];
  const key = (c: EvalCell) => `${c.agent}\u0000${c.protocol}\u0000${c.focal}`;
  const groups = new Map<string, EvalCell[]>();
  for (const c of cells) groups.set(key(c), [...(groups.get(key(c)) ?? []), c]);
  for (const group of groups.values()) {
    const { agent, protocol, focal } = group[0];
    rows.push(...groupRows(group, agent, kinds[agent] ?? 'run', protocol, focal));
    for (const co of unique(group.map((c) => c.coPlayer))) {
      const of = group.filter((c) => c.coPlayer === co);
      curves.push({ agent, protocol, focal, coPlayer: co, perEpisode: of[0].perEpisode.map((_, e) => meanStd(of.map((c) => c.perEpisode[e])).mean) });
    }
  }
  // The ceiling: per (protocol adapt, focal count, co-player) the best rule population's cells.
  const rules = cells.filter((c) => kinds[c.agent] === 'rule' && c.protocol === 'adapt');
  for (const focal of unique(rules.map((c) => c.focal))) {
    const atFocal = rules.filter((c) => c.focal === focal);
    const best: EvalCell[] = [];
    const names: string[] = [];
    for (const co of unique(atFocal.map((c) => c.coPlayer))) {
      const byAgent = unique(atFocal.filter((c) => c.coPlayer === co).map((c) => c.agent));
      const score = (a: string) => meanStd(atFocal.filter((c) => c.coPlayer === co && c.agent === a).map((c) => c.mean)).mean;
      const top = byAgent.reduce((a, b) => (score(b) > score(a) ? b : a));
      names.push(`${co}: ${top}`);
      best.push(...atFocal.filter((c) => c.coPlayer === co && c.agent === top));
    }
    const rowsOf = groupRows(best, 'best rule response (ceiling)', 'ceiling', 'adapt', focal);
    rowsOf.forEach((r) => (r.bestOf = r.coPlayer === 'overall' ? names.join('; ') : names.find((n) => n.startsWith(`${r.coPlayer}:`))?.split(': ')[1]));
    rows.push(...rowsOf);
  }
  return { rows, curves };
}

function groupRows(group: EvalCell[], agent: string, kind: EvalRow['kind'], protocol: Protocol, focal: number): EvalRow[] {
  const out: EvalRow[] = [];
  const cos = unique(group.map((c) => c.coPlayer));
  const seeds = unique(group.map((c) => c.seed));
  const episodes = group[0].perEpisode.length;
  for (const co of cos) {
    const { mean, std } = meanStd(group.filter((c) => c.coPlayer === co).map((c) => c.mean));
    out.push({ agent, kind, protocol, focal, coPlayer: co, mean, std, seeds: seeds.length, episodes });
  }
  if (cos.length > 1) {
    const perSeed = seeds.map((s) => meanStd(group.filter((c) => c.seed === s).map((c) => c.mean)).mean);
    const { mean, std } = meanStd(perSeed);
    out.push({ agent, kind, protocol, focal, coPlayer: 'overall', mean, std, seeds: seeds.length, episodes });
  }
  return out;
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

const CSV_HEADER = ['agent', 'kind', 'protocol', 'focal', 'co_player', 'mean', 'std', 'seeds', 'episodes', 'best_of'];

export function tablesCsv(rows: EvalRow[]): string {
  const q = (v: unknown) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v ?? ''));
  return [CSV_HEADER.join(','), ...rows.map((r) => [r.agent, r.kind, r.protocol, r.focal, r.coPlayer, r.mean, r.std, r.seeds, r.episodes, r.bestOf ?? ''].map(q).join(','))].join('\n') + '\n';
}

/** The evaluation section of a page: one table per protocol and focal count, and the adaptation curves. */
export function evaluationSections(t: EvalTables, players: number): { sections: ReportSection[]; plots: { file: string; svg: string }[] } {
  const sections: ReportSection[] = [];
  const plots: { file: string; svg: string }[] = [];
  for (const protocol of unique(t.rows.map((r) => r.protocol)))
    for (const focal of unique(t.rows.filter((r) => r.protocol === protocol).map((r) => r.focal))) {
      const rows = t.rows.filter((r) => r.protocol === protocol && r.focal === focal);
      const cos = unique(rows.map((r) => r.coPlayer));
      const agents = unique(rows.map((r) => r.agent));
      const cell = (a: string, co: string) => {
        const r = rows.find((x) => x.agent === a && x.coPlayer === co);
        return r ? `${r.mean.toFixed(3)} ± ${r.std.toFixed(3)}` : '-';
      };
      const title = protocol === 'self-play' ? 'Self-play: all players from the agent' : `Few-shot adaptation: ${focal} focal + ${players - focal} co-player(s)`;
      let html =
        `<p class="note">Mean focal reward per agent and episode, ± std over ${rows[0].seeds} seed(s) (${rows[0].episodes} episodes per pairing). ` +
        'Rule rows are references; the ceiling takes, per co-player type, the rule team that did best against it.</p>' +
        table(['agent', 'kind', ...cos], agents.map((a) => [a, rows.find((r) => r.agent === a)!.kind, ...cos.map((co) => cell(a, co))]));
      if (protocol === 'adapt') {
        const curves = t.curves.filter((c) => c.protocol === 'adapt' && c.focal === focal);
        for (const co of unique(curves.map((c) => c.coPlayer))) {
          const chart = singleChart(
            `adapt-${focal}-${co}`,
            `Focal reward per episode index vs ${co} co-players (${focal} focal)`,
            curves.filter((c) => c.coPlayer === co).map((c) => ({ name: c.agent, x: c.perEpisode.map((_, e) => e + 1), y: c.perEpisode })),
            'episode of the pairing',
          );
          if (chart) {
            html += chart.html;
            plots.push({ file: chart.file, svg: chart.svg });
          }
        }
      }
      sections.push({ id: `eval-${protocol}-${focal}`, title, html });
    }
  return { sections, plots };
}
