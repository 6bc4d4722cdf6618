/**
 * Named MIMOConv training recipes: sets of training-config values that `--recipe NAME` applies
 * on top of the base defaults, before the flags given explicitly. `reference` is the paper's
 * recipe (SPEC §2, the base defaults themselves); `fast` is the recipe chosen with the recipe
 * benchmark (`npm run recipes`, results/recipes.md) for learning fast on a CPU budget.
 */
import type { TrainConvConfig } from './conv_config.js';

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
