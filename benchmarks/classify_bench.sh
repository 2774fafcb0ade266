#!/usr/bin/env bash
# Triage classification benchmark: ours beside the TF-IDF + linear-SVM baseline, same run, on the
# shared public datasets. Every figure comes from `deskpilot eval classify` end to end (thresholds are
# chosen by cross-validation on the training split only). Results: var/bench/classify/<name>.{txt,json}
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATASETS:-../shared/datasets}
OUT=var/bench/classify
mkdir -p "$OUT"
DESKPILOT=${DESKPILOT:-.venv/bin/deskpilot}

run() {
  local name=$1; shift
  echo "== $name: deskpilot eval classify $*" | tee "$OUT/$name.txt"
  "$DESKPILOT" eval classify "$@" | tee -a "$OUT/$name.txt"
  "$DESKPILOT" eval classify "$@" --json > "$OUT/$name.json"
}

# --json re-runs each evaluation; set JSON_ONLY=1 to run only the JSON pass.
if [[ "${JSON_ONLY:-0}" == 1 ]]; then
  run() { local name=$1; shift; "$DESKPILOT" eval classify "$@" --json | tee "$OUT/$name.json"; }
fi

run banking77 --train "$DATA/banking77/train.csv" --test "$DATA/banking77/test.csv"
run clinc150 --train "$DATA/clinc150/train.csv" --test "$DATA/clinc150/val.csv"
run hwu64 --train "$DATA/hwu64/train.csv" --test "$DATA/hwu64/test.csv"
run it_tickets --train "$DATA/it_tickets/train.csv" --cv 5

# Cold start (issue 15): label names only (0 shots) and 5 / 10 examples per label, beside the baseline.
for shots in 0 5 10; do
  run "banking77-${shots}shot" --train "$DATA/banking77/train.csv" --test "$DATA/banking77/test.csv" --shots "$shots"
  run "clinc150-${shots}shot" --train "$DATA/clinc150/train.csv" --test "$DATA/clinc150/val.csv" --shots "$shots"
  run "hwu64-${shots}shot" --train "$DATA/hwu64/train.csv" --test "$DATA/hwu64/test.csv" --shots "$shots"
done
