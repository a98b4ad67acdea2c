import { probabilityParam, type ParamSpec } from '../../core/params.js';
import type { SplitSettings } from './hoeffding-tree.js';
import { leafPredictions } from './hoeffding-tree.js';
import { splitCriterionNames } from './split-criterion.js';

/**
 * The parameters every Hoeffding-tree learner shares (the trees, and the
 * ensembles whose members are trees), with the learner's own defaults.
 */
export function splitParams(d: SplitSettings): Record<string, ParamSpec> {
  return {
    gracePeriod: { type: 'integer', default: d.gracePeriod, min: 1, doc: 'weight a leaf sees between split attempts' },
    splitConfidence: probabilityParam(d.splitConfidence, 'delta of the Hoeffding bound'),
    tieThreshold: { type: 'number', default: d.tieThreshold, min: 0, doc: 'bound below which the best split is taken' },
    splitCriterion: { type: 'choice', default: d.splitCriterion, choices: splitCriterionNames, doc: 'info-gain or gini' },
    leafPrediction: { type: 'choice', default: d.leafPrediction, choices: leafPredictions, doc: 'mc, nb or nba (adaptive)' },
    numericBins: { type: 'integer', default: d.numericBins, min: 1, max: 1_000, doc: 'candidate split points per numeric attribute (at most 1,000)' },
  };
}

/** The split settings alone, out of a learner's parameters that hold them among others (an ensemble's). */
export function splitSettingsOf(p: SplitSettings): SplitSettings {
  return {
    gracePeriod: p.gracePeriod,
    splitConfidence: p.splitConfidence,
    tieThreshold: p.tieThreshold,
    splitCriterion: p.splitCriterion,
    leafPrediction: p.leafPrediction,
    numericBins: p.numericBins,
  };
}
