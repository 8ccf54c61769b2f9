import { planBatchNorms, planConvs, resnetPlan } from './architecture.js';
import type { ResNetConfig } from './config.js';

export interface ResNetProfile {
  /** What PyTorch counts: conv weights, BN gamma and beta, classifier weight and bias (not BN running stats). */
  params: number;
  /** Multiply-accumulates of one image's forward pass through the convs and the classifier. */
  macs: number;
  /** BN running mean and variance: stored in checkpoints, not trained. */
  buffers: number;
}

/**
 * Parameters and MACs from the config alone: nothing is built or allocated. MACs count every conv
 * (out_h * out_w * c_out * c_in * k * k) and the classifier (in * out); batch norm, ReLU, the residual additions
 * and the max, average and global pools are not counted (as fvcore and the paper's figures do).
 */
export function profile(config: Partial<ResNetConfig>): ResNetProfile {
  const plan = resnetPlan(config);
  let params = 0;
  let macs = 0;
  for (const c of planConvs(plan)) {
    const weights = c.outChannels * c.inChannels * c.kernel * c.kernel;
    params += weights;
    macs += weights * c.outSize * c.outSize;
  }
  let buffers = 0;
  for (const bn of planBatchNorms(plan)) {
    params += 2 * bn.channels;
    buffers += 2 * bn.channels;
  }
  params += plan.fc.inFeatures * plan.fc.outFeatures + plan.fc.outFeatures;
  macs += plan.fc.inFeatures * plan.fc.outFeatures;
  return { params, macs, buffers };
}
