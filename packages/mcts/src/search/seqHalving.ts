/**
 * Sequential Halving as a visit schedule (Karnin et al. 2013; mctx's `seq_halving`): entry `i` is the visit
 * count an action must have to be considered at simulation `i`. Each phase gives every considered action
 * `max(1, floor(n / (ceil(log2 m) * considered)))` more visits, then halves the considered set (min 2).
 */
export function consideredVisitSequence(maxConsidered: number, numSimulations: number): Int32Array {
  const seq = new Int32Array(numSimulations);
  if (maxConsidered <= 1) {
    for (let i = 0; i < numSimulations; i++) seq[i] = i;
    return seq;
  }
  const log2max = Math.ceil(Math.log2(maxConsidered));
  const visits = new Int32Array(maxConsidered);
  let considered = maxConsidered;
  let len = 0;
  while (len < numSimulations) {
    const extra = Math.max(1, Math.floor(numSimulations / (log2max * considered)));
    for (let r = 0; r < extra; r++) {
      for (let i = 0; i < considered && len < numSimulations; i++) seq[len++] = visits[i];
      for (let i = 0; i < considered; i++) visits[i]++;
    }
    considered = Math.max(2, Math.floor(considered / 2));
  }
  return seq;
}

/** `table[m]` is the schedule with `m` considered actions, for m = 0..maxConsidered. */
export function consideredVisitTable(maxConsidered: number, numSimulations: number): Int32Array[] {
  const table: Int32Array[] = [];
  for (let m = 0; m <= maxConsidered; m++) table.push(consideredVisitSequence(m, numSimulations));
  return table;
}
