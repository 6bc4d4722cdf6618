/**
 * ListOps (LRA): nested MIN/MAX/MED/SM expressions over digits, generated with the LRA
 * generator's rules (SPEC §3.9), seeded and deterministic.
 *
 * - Node rule: below max depth a node is an operator with probability 0.25 (else a digit);
 *   an operator has 2..maxArgs children; at max depth always a digit; the root is depth 1.
 * - Length counts a digit as 1 and an operator as 2 (its token and the closing "]").
 * - Trees with minLength < length < maxLength are kept, de-duplicated, and split in
 *   generation order into train / val / test.
 *
 * Tokens keep the closing bracket "]" (LRA's tokenizer drops every bracket, which loses
 * the tree structure: a documented defect of the benchmark that is not reproduced here).
 * The "( … )" of LRA's text rendering only mirror the generator's nested pairs and carry
 * no information, so they are not tokens; `listOpsTokens` accepts text with or without them.
 */
import { Rng } from './rng.js';

export const LISTOPS_OPS = ['[MIN', '[MAX', '[MED', '[SM'] as const;
/** Token ids: 0 padding, 1..10 digits 0..9, 11..14 operators, 15 "]". */
export const LISTOPS_VOCAB = ['<pad>', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ...LISTOPS_OPS, ']'] as const;
export const LISTOPS_VOCAB_SIZE = LISTOPS_VOCAB.length;

export interface ListOpsExample {
  /** Token ids (no padding). */
  tokens: Uint8Array;
  /** The expression's value, 0..9. */
  label: number;
}

export interface ListOpsOptions {
  seed: number;
  train: number;
  val: number;
  test: number;
  maxDepth?: number;
  maxArgs?: number;
  minLength?: number;
  maxLength?: number;
}

/** LRA defaults: 96 000 / 2 000 / 2 000, depth 10, 10 arguments, 500 < length < 2000. */
export const LISTOPS_LRA: Omit<ListOpsOptions, 'seed'> = { train: 96000, val: 2000, test: 2000, maxDepth: 10, maxArgs: 10, minLength: 500, maxLength: 2000 };

function evaluate(op: number, args: number[]): number {
  switch (op) {
    case 0: return Math.min(...args);
    case 1: return Math.max(...args);
    case 2: {
      // numpy.median then int(): the mean of the two middle values for an even count, truncated.
      const s = [...args].sort((a, b) => a - b), mid = s.length >> 1;
      return Math.trunc(s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2);
    }
    default: return args.reduce((a, b) => a + b, 0) % 10;
  }
}

/** One tree as tokens (prefix order, "]" after each operator's children) and its value. */
function generateTree(depth: number, rng: Rng, maxDepth: number, maxArgs: number, out: number[]): number {
  const r = depth < maxDepth ? rng.next() : 1;
  if (r > 0.25) {
    const v = rng.int(10);
    out.push(1 + v);
    return v;
  }
  const k = 2 + rng.int(maxArgs - 1);
  const at = out.length;
  out.push(0); // operator token, filled once drawn (the reference draws the operator after the children)
  const args: number[] = [];
  for (let i = 0; i < k; i++) args.push(generateTree(depth + 1, rng, maxDepth, maxArgs, out));
  const op = rng.int(4);
  out[at] = 11 + op;
  out.push(15);
  return evaluate(op, args);
}

/** Generates the three splits. Deterministic for a seed. */
export function generateListOps(o: ListOpsOptions): { train: ListOpsExample[]; val: ListOpsExample[]; test: ListOpsExample[] } {
  const maxDepth = o.maxDepth ?? 10, maxArgs = o.maxArgs ?? 10, minLength = o.minLength ?? 500, maxLength = o.maxLength ?? 2000;
  if (maxArgs < 2) throw new Error(`ListOps: maxArgs must be >= 2, got ${maxArgs}`);
  const total = o.train + o.val + o.test;
  const rng = new Rng(o.seed);
  const seen = new Set<string>();
  const all: ListOpsExample[] = [];
  let attempts = 0;
  const limit = total * 100000;
  while (all.length < total) {
    if (++attempts > limit) throw new Error(`ListOps: only ${all.length} of ${total} trees with ${minLength} < length < ${maxLength} after ${limit} attempts; widen the length range`);
    const toks: number[] = [];
    const label = generateTree(1, rng, maxDepth, maxArgs, toks);
    if (toks.length <= minLength || toks.length >= maxLength) continue;
    const key = String.fromCharCode(...toks.map((t) => 48 + t));
    if (seen.has(key)) continue;
    seen.add(key);
    all.push({ tokens: Uint8Array.from(toks), label });
  }
  return { train: all.slice(0, o.train), val: all.slice(o.train, o.train + o.val), test: all.slice(o.train + o.val) };
}

/** Token ids of an LRA ListOps source string ("( ( [MAX 2 ) 9 ] )" style; parentheses ignored). */
export function listOpsTokens(source: string): Uint8Array {
  const ids: number[] = [];
  for (const w of source.trim().split(/\s+/)) {
    if (w === '(' || w === ')' || w === '') continue;
    const id = (LISTOPS_VOCAB as readonly string[]).indexOf(w);
    if (id <= 0) throw new Error(`ListOps: unknown token '${w}' (expected digits, ${LISTOPS_OPS.join(', ')}, ']', '(' or ')')`);
    ids.push(id);
  }
  return Uint8Array.from(ids);
}

/** The value of a token sequence (prefix notation with "]"), for checking labels. */
export function evaluateListOps(tokens: ArrayLike<number>): number {
  const stack: { op: number; args: number[] }[] = [];
  let result = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t >= 1 && t <= 10) {
      if (stack.length === 0) result = t - 1;
      else stack[stack.length - 1].args.push(t - 1);
    } else if (t >= 11 && t <= 14) {
      stack.push({ op: t - 11, args: [] });
    } else if (t === 15) {
      const top = stack.pop();
      if (!top) throw new Error(`ListOps: unmatched ']' at token ${i}`);
      const v = evaluate(top.op, top.args);
      if (stack.length === 0) result = v;
      else stack[stack.length - 1].args.push(v);
    } else {
      throw new Error(`ListOps: token id ${t} at ${i} is not in the vocabulary (0..${LISTOPS_VOCAB_SIZE - 1})`);
    }
  }
  if (stack.length) throw new Error(`ListOps: ${stack.length} operator(s) not closed`);
  return result;
}
