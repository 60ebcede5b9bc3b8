#!/usr/bin/env bash
# Reproduces evidence.txt: interleaved A/A and planted-regression sessions of
# sparkbench ab (paired) and of the old procedure (two `run --count 10`
# batches one after the other, then `compare`), on evidence.yaml.
#   NEW=path/to/sparkbench (this tree)  OLD=path/to/sparkbench (before ab)
#   OUT=directory for the results and log.txt
# About 55 minutes on a 2-core machine.
set -u
: "${NEW:?}" "${OLD:?}" "${OUT:?}"
W=$(cd "$(dirname "$0")" && pwd)/evidence.yaml
PLANT=(--set origin.latency.mean=11ms --set origin.latency.stddev=1.1ms)
NPLANT=(--new-set origin.latency.mean=11ms --new-set origin.latency.stddev=1.1ms)
mkdir -p "$OUT" && cd "$OUT" || exit 1
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" >> log.txt; }
for i in $(seq 1 20); do
  log "aa-paired $i start"
  $NEW ab --quiet --pairs 10 "$W" --out aa-$i.json --json aa-$i.cmp.json > aa-$i.txt 2>aa-$i.err; rc=$?
  $NEW compare --unpaired aa-$i.json --json aa-$i.unp.json > aa-$i.unp.txt 2>&1; urc=$?
  log "aa-paired $i exit $rc unpaired-exit $urc"
  log "aa-old $i start"
  $OLD run --quiet --count 10 "$W" --out oldaa-$i-a.json > /dev/null 2>oldaa-$i.err
  $OLD run --quiet --count 10 "$W" --out oldaa-$i-b.json > /dev/null 2>>oldaa-$i.err
  $OLD compare oldaa-$i-a.json oldaa-$i-b.json > oldaa-$i.txt 2>&1; orc=$?
  $NEW compare oldaa-$i-a.json oldaa-$i-b.json --json oldaa-$i.new.json > oldaa-$i.new.txt 2>&1; nrc=$?
  log "aa-old $i old-compare-exit $orc new-compare-exit $nrc"
  if [ "$i" -le 10 ]; then
    log "planted-paired $i start"
    $NEW ab --quiet --pairs 10 "${NPLANT[@]}" "$W" --out pl-$i.json --json pl-$i.cmp.json > pl-$i.txt 2>pl-$i.err; rc=$?
    $NEW compare --unpaired pl-$i.json --json pl-$i.unp.json > pl-$i.unp.txt 2>&1; urc=$?
    log "planted-paired $i exit $rc unpaired-exit $urc"
    log "planted-old $i start"
    $OLD run --quiet --count 10 "$W" --out oldpl-$i-a.json > /dev/null 2>oldpl-$i.err
    $OLD run --quiet --count 10 "${PLANT[@]}" "$W" --out oldpl-$i-b.json > /dev/null 2>>oldpl-$i.err
    $OLD compare oldpl-$i-a.json oldpl-$i-b.json > oldpl-$i.txt 2>&1; orc=$?
    $NEW compare oldpl-$i-a.json oldpl-$i-b.json --json oldpl-$i.new.json > oldpl-$i.new.txt 2>&1; nrc=$?
    log "planted-old $i old-compare-exit $orc new-compare-exit $nrc"
  fi
done
log done
