import { barChartSvg } from "@hop/core";
import { type ReportSection, figure, table } from "../report/html";
import { singleChart } from "../report/charts";
import type { EvalCell, Protocol } from "./protocol";
import { DIAGNOSIS_VARIANTS } from "../algos/types";

/**
 * One row of an evaluation table: the mean focal reward, its standard error over the independent units
 * (pairings x seeds: each pairing's mean over its K episodes) and, as before, the std over seeds.
 */
export interface EvalRow {
  agent: string;
  /** `run`, `rule` (reference) or `ceiling` (best-responding rule team per co-player type). */
  kind: "run" | "rule" | "ceiling";
  protocol: Protocol;
  focal: number;
  /** Co-player type, `self` (self-play) or `overall` (the mean over co-player types, per seed). */
  coPlayer: string;
  mean: number;
  std: number;
  /** Standard error of `mean` over pairings x seeds (`overall`: combined from the co-player rows). */
  se: number;
  /** Independent units behind `se` (pairings x seeds; `overall`: summed over co-player types). */
  units: number;
  seeds: number;
  episodes: number;
  /** Ceiling rows: which rule population it is. */
  bestOf?: string;
}

export interface EvalTables {
  rows: EvalRow[];
  /** Adaptation curves: focal reward per episode index (mean over seeds), per agent, focal count and co-player. */
  curves: {
    agent: string;
    protocol: Protocol;
    focal: number;
    coPlayer: string;
    perEpisode: number[];
    se: number[];
  }[];
}

/** Sample mean and (population-free) standard deviation over seeds; std 0 for one seed. */
export function meanStd(xs: number[]): { mean: number; std: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std =
    n > 1
      ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1))
      : 0;
  return { mean, std };
}

/** Mean and standard error of independent units (SE 0 for one unit). */
export function meanSe(xs: number[]): { mean: number; se: number } {
  const { mean, std } = meanStd(xs);
  return { mean, se: xs.length > 1 ? std / Math.sqrt(xs.length) : 0 };
}

/** The units of a set of cells: each pairing's mean over its K episodes, for every cell (seed). */
export function cellUnits(cells: EvalCell[]): number[] {
  const out: number[] = [];
  for (const c of cells) {
    const E = c.rewards[0]?.length ?? 0;
    for (let e = 0; e < E; e++)
      out.push(c.rewards.reduce((a, r) => a + r[e], 0) / c.rewards.length);
  }
  return out;
}

/** A difference between two rows, and whether it exceeds 2 standard errors of the difference. */
export function compareRows(
  a: Pick<EvalRow, "mean" | "se">,
  b: Pick<EvalRow, "mean" | "se">
): { diff: number; se: number; significant: boolean } {
  const diff = a.mean - b.mean;
  const se = Math.sqrt(a.se ** 2 + b.se ** 2);
  return { diff, se, significant: Math.abs(diff) > 2 * se };
}

/**
 * Tables of evaluation cells: per (agent, protocol, focal count, co-player) and an `overall` row per
 * (agent, protocol, focal count) that first averages the co-player types within each seed. For the adapt
 * protocol a `ceiling` row takes, per co-player type, the rule population that did best against it.
 */
export function buildTables(
  cells: EvalCell[],
  kinds: Record<string, "run" | "rule">
): EvalTables {
  const rows: EvalRow[] = [];
  const curves: EvalTables["curves"] = [];
  const key = (c: EvalCell) => `${c.agent}\u0000${c.protocol}\u0000${c.focal}`;
  const groups = new Map<string, EvalCell[]>();
  for (const c of cells) groups.set(key(c), [...(groups.get(key(c)) ?? []), c]);
  for (const group of groups.values()) {
    const { agent, protocol, focal } = group[0];
    rows.push(
      ...groupRows(group, agent, kinds[agent] ?? "run", protocol, focal)
    );
    for (const co of unique(group.map((c) => c.coPlayer))) {
      const of = group.filter((c) => c.coPlayer === co);
      curves.push(curveOf(agent, protocol, focal, co, of));
    }
  }
  // The ceiling: per (protocol adapt, focal count, co-player) the best rule population's cells.
  const rules = cells.filter(
    (c) => kinds[c.agent] === "rule" && c.protocol === "adapt"
  );
  for (const focal of unique(rules.map((c) => c.focal))) {
    const atFocal = rules.filter((c) => c.focal === focal);
    const best: EvalCell[] = [];
    const names: string[] = [];
    for (const co of unique(atFocal.map((c) => c.coPlayer))) {
      const byAgent = unique(
        atFocal.filter((c) => c.coPlayer === co).map((c) => c.agent)
      );
      const score = (a: string) =>
        meanStd(
          atFocal
            .filter((c) => c.coPlayer === co && c.agent === a)
            .map((c) => c.mean)
        ).mean;
      const top = byAgent.reduce((a, b) => (score(b) > score(a) ? b : a));
      names.push(`${co}: ${top}`);
      best.push(...atFocal.filter((c) => c.coPlayer === co && c.agent === top));
    }
    const rowsOf = groupRows(best, CEILING, "ceiling", "adapt", focal);
    for (const co of unique(best.map((c) => c.coPlayer)))
      curves.push(
        curveOf(
          CEILING,
          "adapt",
          focal,
          co,
          best.filter((c) => c.coPlayer === co)
        )
      );
    rowsOf.forEach(
      (r) =>
        (r.bestOf =
          r.coPlayer === "overall"
            ? names.join("; ")
            : names.find((n) => n.startsWith(`${r.coPlayer}:`))?.split(": ")[1])
    );
    rows.push(...rowsOf);
  }
  return { rows, curves };
}

/** The row name of the best-responding rule team. */
export const CEILING = "best rule response (ceiling)";

function curveOf(
  agent: string,
  protocol: Protocol,
  focal: number,
  coPlayer: string,
  of: EvalCell[]
): EvalTables["curves"][number] {
  const K = of[0].perEpisode.length;
  const at = Array.from({ length: K }, (_, e) =>
    meanSe(of.flatMap((c) => c.rewards[e] ?? [c.perEpisode[e]]))
  );
  return {
    agent,
    protocol,
    focal,
    coPlayer,
    perEpisode: at.map((x) => x.mean),
    se: at.map((x) => x.se),
  };
}

function groupRows(
  group: EvalCell[],
  agent: string,
  kind: EvalRow["kind"],
  protocol: Protocol,
  focal: number
): EvalRow[] {
  const out: EvalRow[] = [];
  const cos = unique(group.map((c) => c.coPlayer));
  const seeds = unique(group.map((c) => c.seed));
  const episodes = group[0].perEpisode.length;
  for (const co of cos) {
    const of = group.filter((c) => c.coPlayer === co);
    const { mean, std } = meanStd(of.map((c) => c.mean));
    const units = cellUnits(of);
    out.push({
      agent,
      kind,
      protocol,
      focal,
      coPlayer: co,
      mean,
      std,
      se: meanSe(units).se,
      units: units.length,
      seeds: seeds.length,
      episodes,
    });
  }
  if (cos.length > 1) {
    const perSeed = seeds.map(
      (s) => meanStd(group.filter((c) => c.seed === s).map((c) => c.mean)).mean
    );
    const { mean, std } = meanStd(perSeed);
    // The co-player types play disjoint pairings: the overall mean's variance is the mean of theirs / C.
    const parts = out.slice(-cos.length);
    const se = Math.sqrt(parts.reduce((a, r) => a + r.se ** 2, 0)) / cos.length;
    out.push({
      agent,
      kind,
      protocol,
      focal,
      coPlayer: "overall",
      mean,
      std,
      se,
      units: parts.reduce((a, r) => a + r.units, 0),
      seeds: seeds.length,
      episodes,
    });
  }
  return out;
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

const CSV_HEADER = [
  "agent",
  "kind",
  "protocol",
  "focal",
  "co_player",
  "mean",
  "std",
  "se",
  "units",
  "seeds",
  "episodes",
  "best_of",
];

export function tablesCsv(rows: EvalRow[]): string {
  const q = (v: unknown) =>
    typeof v === "string" && /[",\n]/.test(v)
      ? `"${v.replace(/"/g, '""')}"`
      : String(v ?? "");
  return (
    [
      CSV_HEADER.join(","),
      ...rows.map((r) =>
        [
          r.agent,
          r.kind,
          r.protocol,
          r.focal,
          r.coPlayer,
          r.mean,
          r.std,
          r.se,
          r.units,
          r.seeds,
          r.episodes,
          r.bestOf ?? "",
        ]
          .map(q)
          .join(",")
      ),
    ].join("\n") + "\n"
  );
}

/** The evaluation section of a page: one table per protocol and focal count, and the adaptation curves. */
export function evaluationSections(
  t: EvalTables,
  players: number
): { sections: ReportSection[]; plots: { file: string; svg: string }[] } {
  const sections: ReportSection[] = [];
  const plots: { file: string; svg: string }[] = [];
  for (const protocol of unique(t.rows.map((r) => r.protocol)))
    for (const focal of unique(
      t.rows.filter((r) => r.protocol === protocol).map((r) => r.focal)
    )) {
      const rows = t.rows.filter(
        (r) => r.protocol === protocol && r.focal === focal
      );
      const cos = unique(rows.map((r) => r.coPlayer));
      const agents = unique(rows.map((r) => r.agent));
      const cell = (a: string, co: string) => {
        const r = rows.find((x) => x.agent === a && x.coPlayer === co);
        if (!r) return "-";
        const base = baseOf(a);
        const ref =
          base === null
            ? undefined
            : rows.find((x) => x.agent === base && x.coPlayer === co);
        const mark =
          ref && compareRows(r, ref).significant
            ? r.mean > ref.mean
              ? " ▲"
              : " ▼"
            : "";
        return `${r.mean.toFixed(3)} ± ${r.se.toFixed(3)}${mark}`;
      };
      const title =
        protocol === "self-play"
          ? "Self-play: all players from the agent"
          : `Few-shot adaptation: ${focal} focal + ${
              players - focal
            } co-player(s)`;
      const units = rows.find((r) => r.coPlayer !== "overall")?.units ?? 0;
      let html =
        `<p class="note">Mean focal reward per agent and episode ± standard error over pairings x seeds (${units} pairings of ${rows[0].episodes} episodes per cell, ${rows[0].seeds} seed(s)). ` +
        "Rule rows are references; the ceiling takes, per co-player type, the rule team that did best against it. " +
        "Diagnosis rows (<code>[oracle-goals]</code>, ...) are marked ▲ / ▼ where they differ from their agent by more than 2 SE.</p>" +
        table(
          ["agent", "kind", ...cos],
          agents.map((a) => [
            a,
            rows.find((r) => r.agent === a)!.kind,
            ...cos.map((co) => cell(a, co)),
          ])
        );
      const pairs = differences(
        rows.filter(
          (r) =>
            r.coPlayer === (cos.includes("overall") ? "overall" : cos[0]) &&
            r.kind !== "rule" &&
            baseOf(r.agent) === null
        )
      );
      if (pairs.length)
        html +=
          `<p class="note">Differences between agents (${
            cos.includes("overall") ? "overall" : cos[0]
          }), ± SE of the difference; * where it exceeds 2 SE.</p>` +
          table(
            ["agent", "minus", "difference"],
            pairs.map((d) => [
              d.a,
              d.b,
              `${d.diff.toFixed(3)} ± ${d.se.toFixed(3)}${
                d.significant ? " *" : ""
              }`,
            ])
          );
      const headline = cos.includes("overall")
        ? "overall"
        : cos.includes("self")
        ? "self"
        : cos[0];
      const bars = meansChart(rows, headline, protocol, focal);
      if (bars) {
        html += figure(bars.svg);
        plots.push(bars);
      }
      if (protocol === "adapt") {
        const curves = t.curves.filter(
          (c) => c.protocol === "adapt" && c.focal === focal
        );
        let charts = "";
        for (const co of unique(curves.map((c) => c.coPlayer))) {
          const chart = adaptationChart(curves, rows, focal, co);
          if (chart) {
            charts += chart.html;
            plots.push({ file: chart.file, svg: chart.svg });
          }
        }
        if (charts)
          html +=
            '<h3>Adaptation: focal reward by episode of the pairing</h3><p class="note">Each curve is the mean over pairings x seeds at that episode index, with a ± 1 SE band; dashed lines are the rule teams and the ceiling against the same co-players (their mean over all episodes).</p>' +
            `<div class="grid">${charts}</div>`;
      }
      sections.push({ id: `eval-${protocol}-${focal}`, title, html });
    }
  return { sections, plots };
}

/** The y-axis label of every evaluation chart: what is measured and its unit. */
const REWARD_AXIS = "mean focal reward per agent per episode";

/** A rule or ceiling row as a reference line, named with its value. */
function referenceOf(r: EvalRow): { y: number; label: string } {
  const name = r.kind === "ceiling" ? "ceiling" : `rule: ${r.agent}`;
  return { y: r.mean, label: `${name} ${r.mean.toFixed(2)}` };
}

/**
 * The agents' means in one column of a table (overall, or self-play) as bars with ± 1 SE whiskers; the rule
 * teams and the ceiling as reference lines, so an agent's bar reads against what fixed rules reach.
 */
function meansChart(
  rows: EvalRow[],
  column: string,
  protocol: Protocol,
  focal: number
): { file: string; svg: string } | null {
  const of = rows.filter((r) => r.coPlayer === column);
  const agents = of.filter((r) => r.kind === "run");
  const refs = of.filter((r) => r.kind !== "run").map(referenceOf);
  // Without runs the rule teams themselves are the bars (an evaluation of references only).
  const shown = agents.length ? agents : of;
  if (shown.length === 0) return null;
  const what = column === "overall" ? "all co-player types" : column === "self" ? "self-play" : `${column} co-players`;
  return {
    file: `means-${protocol}-${focal}`,
    svg: barChartSvg({
      title: `Mean focal reward, ${what} (whiskers: ± 1 SE)`,
      labels: shown.map((r) => r.agent),
      values: shown.map((r) => r.mean),
      errors: shown.map((r) => r.se),
      yLabel: REWARD_AXIS,
      referenceLines: agents.length ? refs : [],
    }),
  };
}

/** The few-shot adaptation curve against one co-player type: run agents with SE bands, rule rows as lines. */
function adaptationChart(
  curves: EvalTables["curves"],
  rows: EvalRow[],
  focal: number,
  co: string
) {
  const runs = curves.filter(
    (c) => c.coPlayer === co && !rows.some((r) => r.agent === c.agent && r.kind !== "run")
  );
  const refRows = rows.filter((r) => r.coPlayer === co && r.kind !== "run");
  // Without runs the rule teams' own curves are drawn (the page still shows how a rule fares by episode).
  const drawn = runs.length ? runs : curves.filter((c) => c.coPlayer === co);
  return singleChart(
    `adapt-${focal}-${co}`,
    `Focal reward by episode vs ${co} co-players (${focal} focal; bands: ± 1 SE)`,
    drawn.map((c) => ({
      name: c.agent,
      x: c.perEpisode.map((_, e) => e + 1),
      y: c.perEpisode,
      band: {
        lo: c.perEpisode.map((m, e) => m - c.se[e]),
        hi: c.perEpisode.map((m, e) => m + c.se[e]),
      },
      markers: true,
    })),
    "episode of the pairing (1 = first meeting)",
    REWARD_AXIS,
    runs.length ? refRows.map(referenceOf) : []
  );
}

/**
 * A diagnosis row's agent (`hop (run) [oracle-goals]` -> `hop (run)`; `hop (run) [gumbel] [no-search]` ->
 * `hop (run) [gumbel]`), or null for a row that is no diagnosis variant (planner overrides alone are plain rows).
 */
export function baseOf(agent: string): string | null {
  const m = /^(.*) \[([a-z-]+)\]$/.exec(agent);
  return m && (DIAGNOSIS_VARIANTS as readonly string[]).includes(m[2]) ? m[1] : null;
}

/** Every pair of rows (in table order) with their difference and its 2-SE mark. */
export function differences(
  rows: EvalRow[]
): { a: string; b: string; diff: number; se: number; significant: boolean }[] {
  const out = [];
  for (let x = 0; x < rows.length; x++)
    for (let y = x + 1; y < rows.length; y++)
      out.push({
        a: rows[x].agent,
        b: rows[y].agent,
        ...compareRows(rows[x], rows[y]),
      });
  return out;
}
