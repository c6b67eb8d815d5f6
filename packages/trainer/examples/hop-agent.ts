import { Rng, initBackend } from '@hop/core';
import { VecStagHunt } from '@hop/env-staghunt';
import { HopAgent } from '@hop/trainer';

await initBackend();
const runDir = process.argv[2] ?? 'runs/my-hop-run'; // a directory written by `hop train`

// Player 0 is the trained HOP agent (greedy: evaluation play); the others are your co-players.
const agent = await HopAgent.fromRun(runDir, { focal: 0, decisions: 'greedy', seed: 1 });
const env = new VecStagHunt(agent.game.config, { numEnvs: 1, seed: 42, autoReset: false, observations: 'none' });
const rng = new Rng(7);
const actions = new Int32Array(env.numAgents);

for (let episode = 0; episode < 2; episode++) {
  if (episode > 0) env.resetEnv(0);
  agent.startEpisode(env.states, 0);
  while (!env.ended[0]) {
    actions[0] = await agent.act(env.states, 0);
    for (let p = 1; p < env.numAgents; p++) {
      // a co-player that picks uniformly among its valid actions
      const valid = [0, 1, 2, 3, 4, 5, 6].filter((a) => env.masks[p * 7 + a] === 1);
      actions[p] = valid[rng.int(valid.length)];
    }
    env.step(actions);
    await agent.observe(env.states, 0, actions); // beliefs about the co-players' goals move with what they did
  }
  const stats = env.lastEpisode(0)!;
  agent.endEpisode(stats.caught); // what each player went for feeds the inter-episode prior
  console.log(`episode ${episode}: returns ${stats.returns.map((r) => r.toFixed(2)).join(' ')}; belief about player 1 (stag, hare): ${Array.from(agent.belief().subarray(0, 2), (b) => b.toFixed(2)).join(' ')}`);
}
await agent.dispose();
