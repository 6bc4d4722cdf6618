/**
 * MIMOConv training configuration (SPEC §2): the reference recipe's defaults, resolved
 * and stored in every checkpoint with the model config.
 */
import { checkImageDataset, type ImageDatasetName } from '../data/image_datasets.js';

export interface TrainConvConfig {
  /**
   * The named recipe whose values this config starts from (`reference`: the paper's; `fast`:
   * chosen on the recipe benchmark); explicitly given values override it.
   */
  recipe: ConvRecipe;
  /** The image dataset (its official files under the data directory). */
  dataset: ImageDatasetName;
  /** Epochs in the reference convention: each makes N passes over the training set. */
  epochs: number;
  /** Superpositions per step; the loader batch is batch·N images. */
  batch: number;
  /** One-cycle maximum learning rate. */
  lr: number;
  weightDecay: number;
  /** Mixup Beta(α, α); 0 disables mixup. */
  mixupAlpha: number;
  /** Skip a step whose gradient norm is at least gradFilter × the previous epoch's mean (0 disables). */
  gradFilter: number;
  /** clip_grad_norm_ threshold. */
  clipNorm: number;
  bindingReg: number;
  isometryReg: number;
  /** Dynamic mode: n for the "slow" steps (null: always N). */
  supLow: number | null;
  /** Dynamic mode: probability of a fast (n = N) step. */
  supFrequency: number;
  seed: number;
  /** Use the first trainImages training images (0: all). */
  trainImages: number;
  /** Per-epoch evaluation on the first testImages test images (0: all). */
  testImages: number;
  /**
   * Hold out the last valImages training images for validation (0: none). They are never
   * trained on, and the per-epoch and final evaluations use them instead of the test set: the
   * way to pick a recipe without looking at the test set (the reference's split is 45k/5k).
   */
  valImages: number;
  /** Label smoothing ε of the cross-entropy (0: off): targets (1 − ε)·onehot + ε/classes. */
  labelSmoothing: number;
  /** Nesterov momentum (torch.optim.SGD nesterov=True). */
  nesterov: boolean;
  /**
   * Warm start: a MIMOConv checkpoint whose stem, trunk and classifier (every parameter but the
   * binding keys and the unbinding layer) initialise this run; null: from scratch.
   */
  initFrom: string | null;
  /** Batches per operating point for batch-norm calibration after training. */
  calibrationBatches: number;
  /**
   * Knowledge distillation: a trained MIMOConv checkpoint (any capacity; run at n = 1 in
   * evaluation mode) whose softened predictions on the same training images are per-slot soft
   * targets; null: off.
   */
  teacher: string | null;
  /** Weight α of the distillation term: (1 − α)·CE + α·T²·KL(teacher_T ‖ student_T). */
  distillWeight: number;
  /** Softmax temperature T of the distillation term. */
  distillTemperature: number;
}

/*
 * Named recipes: sets of values that `--recipe NAME` applies on top of the base defaults, before
 * the values given explicitly. `reference` is the paper's recipe (SPEC §2, the base defaults
 * themselves); `fast` is the recipe chosen with the recipe benchmark (`npm run recipes`,
 * results/recipes.md) for learning fast on a CPU budget.
 */
export const CONV_RECIPES = {
  /** The reference code's defaults (mixup α 1, weight decay 1e-5, one-cycle peak 0.2, ...). */
  reference: {},
  /** Chosen on the recipe benchmark's validation split (results/recipes.md says why). */
  fast: { mixupAlpha: 0 },
} as const satisfies Record<string, Partial<TrainConvConfig>>;

export type ConvRecipe = keyof typeof CONV_RECIPES;

/** The recipe of a new run when none is named. */
export const DEFAULT_CONV_RECIPE: ConvRecipe = 'fast';

/** The values a recipe sets; throws naming the known recipes. */
export function recipeValues(name: string): Partial<TrainConvConfig> {
  if (!Object.hasOwn(CONV_RECIPES, name)) throw new Error(`recipe '${name}': expected one of ${Object.keys(CONV_RECIPES).join(', ')}`);
  return CONV_RECIPES[name as ConvRecipe];
}

/** The base values: the reference code's defaults (SPEC §2.7), which `--recipe reference` keeps. */
export const TRAIN_CONV_DEFAULTS: TrainConvConfig = {
  recipe: 'reference', dataset: 'cifar10', epochs: 200, batch: 128, lr: 0.2, weightDecay: 1e-5, mixupAlpha: 1, gradFilter: 10, clipNorm: 1000,
  bindingReg: 0.1, isometryReg: 1e-4, supLow: null, supFrequency: 1, seed: 42, trainImages: 0, testImages: 0, calibrationBatches: 50,
  valImages: 0, labelSmoothing: 0, nesterov: false, initFrom: null, teacher: null, distillWeight: 0.5, distillTemperature: 4,
};

/**
 * The full config: base defaults, then the recipe's values (`partial.recipe`, default
 * DEFAULT_CONV_RECIPE), then `partial`; everything checked. Checkpoints store the result.
 */
export function resolveTrainConfig(partial: Partial<TrainConvConfig>, capacity: number): TrainConvConfig {
  const recipe = partial.recipe ?? DEFAULT_CONV_RECIPE;
  const c: TrainConvConfig = { ...TRAIN_CONV_DEFAULTS, ...recipeValues(recipe), ...partial, recipe };
  const pos = (k: keyof TrainConvConfig, integer: boolean, min: number) => {
    const v = c[k] as number;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      throw new Error(`training config: ${k} must be ${integer ? 'a whole number' : 'a number'} >= ${min}, got ${v}`);
    }
  };
  checkImageDataset(c.dataset);
  pos('epochs', true, 1); pos('batch', true, 1); pos('lr', false, 0); pos('weightDecay', false, 0); pos('mixupAlpha', false, 0);
  pos('gradFilter', false, 0); pos('clipNorm', false, 0); pos('bindingReg', false, 0); pos('isometryReg', false, 0);
  pos('seed', true, 0); pos('trainImages', true, 0); pos('testImages', true, 0); pos('calibrationBatches', true, 1);
  pos('valImages', true, 0);
  if (!(c.distillWeight >= 0 && c.distillWeight <= 1)) throw new Error(`training config: distillWeight must be in [0, 1], got ${c.distillWeight}`);
  if (!(c.distillTemperature > 0)) throw new Error(`training config: distillTemperature must be > 0, got ${c.distillTemperature}`);
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 1)) throw new Error(`training config: labelSmoothing must be in [0, 1), got ${c.labelSmoothing}`);
  if (typeof c.nesterov !== 'boolean') throw new Error(`training config: nesterov must be true or false, got ${String(c.nesterov)}`);
  if (!(c.supFrequency >= 0 && c.supFrequency <= 1)) throw new Error(`training config: supFrequency must be in [0, 1], got ${c.supFrequency}`);
  if (c.supLow !== null && (!Number.isInteger(c.supLow) || c.supLow < 1 || capacity % c.supLow !== 0)) {
    throw new Error(`training config: --sup-low ${c.supLow} must divide the capacity N=${capacity}`);
  }
  return c;
}
