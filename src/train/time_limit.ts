/**
 * A wall-clock budget for a training process: work is done in units that end with a
 * checkpoint (an epoch for MIMOConv, an evaluation interval for MIMOFormer), and a unit is
 * started only if it is expected to end, checkpoint written, before the budget runs out.
 * A run stopped this way loses nothing: `--resume` continues from that checkpoint. (A run
 * killed from outside loses the unit it was in.)
 */
export interface TimeLimit {
  /** Epoch milliseconds by which the last started unit should have ended. */
  deadlineMs: number;
}

/** Margin on the last unit's duration: units vary a little (dynamic steps, evaluation, I/O). */
const SLACK = 1.1;

/** `minutes` from `nowMs`; undefined means no limit, anything but a positive number is refused. */
export function timeLimitFromMinutes(minutes: number | undefined, nowMs = Date.now()): TimeLimit | undefined {
  if (minutes === undefined) return undefined;
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--time-limit must be a positive number of minutes, got ${minutes}`);
  return { deadlineMs: nowMs + minutes * 60_000 };
}

/**
 * Whether to start another unit, given how long the last one took (seconds; undefined when no
 * unit has run yet, in which case the first one always starts: there is nothing to go by).
 */
export function mayStartUnit(limit: TimeLimit | undefined, lastUnitSeconds: number | undefined, nowMs = Date.now()): boolean {
  if (!limit) return true;
  if (nowMs >= limit.deadlineMs) return false;
  if (lastUnitSeconds === undefined) return true;
  return nowMs + lastUnitSeconds * SLACK * 1000 <= limit.deadlineMs;
}
