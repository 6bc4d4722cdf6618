// The paper's summary statistic for MIMOFormer: each variant's accuracy delta vs the Performer,
// averaged over the tasks where both ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageDeltas, PAPER_DELTAS } from '../../src/cli/commands/results_former.js';

test('averageDeltas: mean over the tasks with a Performer, per variant, next to the paper\'s delta for its number of inputs', () => {
  const models = [
    { name: 'Performer', grid: 1 }, { name: 'att2', grid: 2 }, { name: 'att4', grid: 4 }, { name: 'mlp2', grid: 2 },
  ];
  const deltas = [
    { task: 'image', name: 'att2', delta_pp: -8.4 }, { task: 'text', name: 'att2', delta_pp: 1.2 },
    { task: 'listops', name: 'att2', delta_pp: null }, // no Performer on this task: left out, not counted as 0
    { task: 'image', name: 'att4', delta_pp: -16.3 },
    { task: 'text', name: 'mlp2', delta_pp: null },
  ];
  const a = averageDeltas(deltas, models);
  assert.deepEqual(a, [
    { name: 'att2', tasks: ['image', 'text'], average_delta_pp: -3.6, paper_delta_pp: PAPER_DELTAS.two_inputs },
    { name: 'att4', tasks: ['image'], average_delta_pp: -16.3, paper_delta_pp: PAPER_DELTAS.four_inputs },
  ]);
  assert.deepEqual(averageDeltas([], models), []);
});
