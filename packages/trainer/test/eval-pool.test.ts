import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "@hop/core";
import { resolveConfig } from "@hop/env-staghunt";
import { runSource, ruleSource } from "../src/eval/controllers";
import {
  assembleCells,
  evaluateAgent,
  planSlices,
  playSlice,
  type EvalSettings,
} from "../src/eval/protocol";
import { runHop, tempDir } from "./helpers";

const small = resolveConfig("small-2p");

/** A tiny hop run on small-2p (one iteration, 4 simulations). */
async function tinyHopRun(): Promise<string> {
  const run = join(tempDir("eval-pool"), "hop");
  const t = await runHop([
    "train",
    "--algo",
    "hop",
    "--env",
    "small-2p",
    "--iterations",
    "1",
    "--num-envs",
    "2",
    "--tree-num",
    "1",
    "--simulations",
    "4",
    "--eval-envs",
    "1",
    "--eval-episodes",
    "1",
    "--replay-every",
    "0",
    "--policy-filters",
    "8",
    "--policy-hidden",
    "16",
    "--moa-filters",
    "8",
    "--moa-hidden",
    "16",
    "--sgd-passes",
    "1",
    "--minibatch",
    "32",
    "--progress",
    "none",
    "--out",
    run,
  ]);
  expect(t.code, t.stderr).toBe(0);
  return run;
}

/** evaluation.json without what depends on the machine (timing and cost). */
function cellsOf(dir: string): string {
  const {
    cost: _cost,
    run: _run,
    ...rest
  } = JSON.parse(readFileSync(join(dir, "evaluation.json"), "utf8")) as Record<
    string,
    unknown
  >;
  return JSON.stringify(rest);
}

describe("hop eval on a worker pool", () => {
  let run = "";
  beforeAll(async () => {
    await initBackend();
    run = await tinyHopRun();
  }, 180_000);

  it("a cell played pairing by pairing (in any order) equals the cell played in lock-step", async () => {
    const settings: EvalSettings = {
      protocol: "adapt",
      episodes: 2,
      seeds: 2,
      pairings: 3,
      seed: 4,
    };
    const coNames = ["stag", "hare"];
    const cos = new Map(
      coNames.map((c) => [c, ruleSource(c as "stag" | "hare")])
    );
    for (const source of [runSource(run), ruleSource("switching")]) {
      const whole = await evaluateAgent(source, small, settings, [
        ...cos.values(),
      ]);
      const slices = planSlices(settings, small.players, coNames, true);
      // 2 seeds x focal 1 x 2 co-player types x 3 pairings, one pairing each.
      expect(slices).toHaveLength(12);
      expect(slices.every((s) => s.pairingCount === 1)).toBe(true);
      // Played last first (what one agent learns in one slice must not reach another), assembled in plan order.
      const played = [];
      for (const slice of [...slices].reverse())
        played.unshift({
          slice,
          rewards: await playSlice(
            source,
            cos.get(slice.coPlayer)!,
            small,
            settings,
            slice
          ),
        });
      expect(assembleCells(source.label, settings, played)).toEqual(whole);
      // One slice per cell: the plan of a loop algorithm.
      expect(
        planSlices(settings, small.players, coNames, false).map((s) => [
          s.seed,
          s.coPlayer,
          s.pairingStart,
          s.pairingCount,
        ])
      ).toEqual([
        [0, "stag", 0, 3],
        [0, "hare", 0, 3],
        [1, "stag", 0, 3],
        [1, "hare", 0, 3],
      ]);
    }
    // A cell that misses a pairing is refused, not averaged over what is there.
    const one = planSlices(settings, small.players, ["stag"], true).slice(1);
    const rewards = [[1], [0]];
    expect(() =>
      assembleCells(
        "x",
        settings,
        one.map((slice) => ({ slice, rewards }))
      )
    ).toThrow(/misses pairings/);
  }, 180_000);

  it("--workers 1 and --workers 2 write the same evaluation.json (but for cost); another --seed does not; progress counts episodes", async () => {
    const root = tempDir("eval-pool-cli");
    const args = (out: string, workers: number, seed: number) => [
      "eval",
      run,
      "--protocol",
      "both",
      "--co-players",
      "stag,hare",
      "--episodes",
      "2",
      "--pairings",
      "3",
      "--seeds",
      "1",
      "--seed",
      String(seed),
      "--no-reference",
      "--workers",
      String(workers),
      "--progress",
      "plain",
      "--out",
      join(root, out),
    ];
    const [one, two, other] = await Promise.all([
      runHop(args("w1", 1, 0)),
      runHop(args("w2", 2, 0)),
      runHop(args("w2-seed1", 2, 1)),
    ]);
    for (const r of [one, two, other]) expect(r.code, r.stderr).toBe(0);
    expect(cellsOf(join(root, "w2"))).toBe(cellsOf(join(root, "w1")));
    expect(cellsOf(join(root, "w2-seed1"))).not.toBe(cellsOf(join(root, "w1")));
    // (self-play 1 cell + adapt 2 cells) x 3 pairings x 2 episodes.
    expect(one.stdout).toMatch(/eval: 18\/18 episodes/);
    expect(two.stdout).toMatch(
      /evaluating 18 episodes \(9 tasks\) 2 worker threads/
    );
    expect(two.stdout).toMatch(
      /cost overall: 18 episodes on 2 workers, [\d.]+ s wall, [\d.]+ CPU-s \([\d.]+ CPU-s per episode\)/
    );
    const json = JSON.parse(
      readFileSync(join(root, "w2", "evaluation.json"), "utf8")
    ) as {
      run: {
        workers: number;
        episodes: number;
        cpuSeconds: number;
        cpuPerEpisode: number;
      };
      cost: { agent: string; episodes: number; cpuPerEpisode: number }[];
      settings: Record<string, unknown>;
    };
    expect(json.run.workers).toBe(2);
    expect(json.run.episodes).toBe(18);
    expect(json.run.cpuPerEpisode).toBeCloseTo(json.run.cpuSeconds / 18, 10);
    expect(json.cost).toHaveLength(1);
    expect(json.cost[0].episodes).toBe(18);
    // The rows' CPU is the evaluation's, apportioned: it sums to the total.
    expect(json.cost[0].cpuPerEpisode * 18).toBeCloseTo(json.run.cpuSeconds, 6);
    expect("workers" in json.settings || "progress" in json.settings).toBe(
      false
    );
  }, 300_000);
});
