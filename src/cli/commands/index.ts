import type { Command } from '../command.js';
import { benchConv } from './bench_conv.js';
import { benchData } from './bench_data.js';
import { benchFormer } from './bench_former.js';
import { benchKernels } from './bench_kernels.js';
import { benchOps } from './bench_ops.js';
import { benchServe } from './bench_serve.js';
import { benchStep } from './bench_step.js';
import { calibrate } from './calibrate.js';
import { checkpointCompact } from './checkpoint_compact.js';
import { dataInfo } from './data_info.js';
import { dataPathfinder } from './data_pathfinder.js';
import { demo } from './demo.js';
import { evalCommand } from './eval.js';
import { exportOnnx } from './export_onnx.js';
import { exportTorch } from './export_torch.js';
import { exportWebCommand } from './export_web.js';
import { importTorch } from './import_torch.js';
import { plotLearningCurves, plotOperatingPoints } from './plot.js';
import { resultsConv } from './results_conv.js';
import { resultsFormer } from './results_former.js';
import { serve } from './serve.js';
import { trainConvCommand } from './train_conv.js';
import { trainFormerCommand } from './train_former.js';
import { info } from './info.js';
import { interference } from './interference.js';

/** Every `mimo` subcommand, in the order `mimo --help` lists them. */
export const COMMANDS: Command[] = [demo, trainConvCommand, trainFormerCommand, evalCommand, resultsConv, resultsFormer, plotOperatingPoints, plotLearningCurves, serve, calibrate, checkpointCompact, importTorch, exportTorch, exportOnnx, exportWebCommand, interference, info, benchKernels, benchOps, benchStep, benchConv, benchFormer, benchServe, benchData, dataInfo, dataPathfinder];
