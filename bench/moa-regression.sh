#!/bin/sh
# MOA 2024.07 (../shared/moa, see its run.sh for what to install) on one prequential regression case:
# EvaluatePrequentialRegression over an ARFF file whose last attribute is the numeric target.
# MOA has no Friedman generator, so bench/regression-vs-moa.mjs writes the rows of streamlearn's
# `generate friedman` to an ARFF file and both sides read that file.
# usage: moa-regression.sh ARFF LEARNER ROWS        e.g. moa-regression.sh /tmp/friedman.arff fimtdd 100000
#   LEARNER (MOA's defaults unless said):
#     fimtdd        trees.FIMTDD: model tree (perceptron leaves), Page-Hinkley drift detection, alternate trees
#     fimtdd-mean   trees.FIMTDD -e: the same, but a regression tree (the leaves predict their mean)
#     arf           meta.AdaptiveRandomForestRegressor -s 10 -o 1: 10 trees, subspaces of sqrt(M)+1 (as streamlearn's
#                   defaults; MOA's own are 100 trees and 60% of the features)
#     arf-grace200  the same forest with trees of grace period 200 and δ 1e-7 (FIMT-DD's defaults) instead of 50 and 0.01
#     ozabag        meta.OzaBag -l trees.FIMTDD -s 10: online bagging of 10 FIMT-DD trees
#     amrules       rules.AMRulesRegressor
#     sgd           functions.SGD -o SQUAREDLOSS: least squares by SGD (learning rate 1e-4, L2 1e-4)
#     sgd-rate      functions.SGD -o SQUAREDLOSS -r 0.01 -l 0: the same at River's rate 0.01, no L2
#     knn           lazy.kNN: the mean of the 10 nearest of the last 1,000 rows
#     mean          rules.functions.TargetMean: the running mean of the target
# Prints MOA's CSV result lines; the last one holds the cumulative errors and MOA's own CPU seconds.
arff=$1; learner=$2; rows=$3
DIR=$(cd "$(dirname "$0")" && pwd)
JAR="$DIR/../../shared/moa/moa.jar"
case $learner in
  fimtdd) l="trees.FIMTDD" ;;
  fimtdd-mean) l="(trees.FIMTDD -e)" ;;
  arf) l="(meta.AdaptiveRandomForestRegressor -s 10 -o 1)" ;;
  arf-grace200) l="(meta.AdaptiveRandomForestRegressor -s 10 -o 1 -l (ARFFIMTDD -g 200 -c 0.0000001))" ;;
  ozabag) l="(meta.OzaBag -l trees.FIMTDD -s 10)" ;;
  amrules) l="rules.AMRulesRegressor" ;;
  sgd) l="(functions.SGD -o SQUAREDLOSS)" ;;
  sgd-rate) l="(functions.SGD -o SQUAREDLOSS -r 0.01 -l 0)" ;;
  knn) l="lazy.kNN" ;;
  mean) l="rules.functions.TargetMean" ;;
  *) echo "unknown learner $learner" >&2; exit 2 ;;
esac
case $arff in
  *' '*|*'('*|*')'*) echo "the ARFF path must not hold spaces or parentheses (MOA's option syntax): $arff" >&2; exit 2 ;;
esac
[ -f "$arff" ] || { echo "no file $arff" >&2; exit 2; }
f=$(( rows < 100000 ? rows : 100000 ))
# -S: no status polling (without it MOA's task runner sleeps in 1 s steps, adding up to 1 s of wall time)
exec java -cp "$JAR" moa.DoTask "EvaluatePrequentialRegression -l $l -s (ArffFileStream -f $arff -c -1) -e BasicRegressionPerformanceEvaluator -i $rows -f $f" -S
