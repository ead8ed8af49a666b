#!/usr/bin/env bash
# Batch grading throughput (issue 7, item 7): 20 orders-users submissions
# graded on one local PostgreSQL with `nplus1 grade DIR... --jobs N`, for
# each N in JOBS, REPS times. Prints the wall time and solutions per minute
# of every run. See BENCHMARKS.md.
#
# The submissions are made from the catalog, each one distinct (a comment
# with its number, and one for the run), so that each needs its own build
# as real submissions do: 10 copies of the Go reference, 5 of the Python
# reference, 5 of the Go starter (which fail). The baseline is measured as
# by default. The Go build cache is left warm, as on a grading machine.
#
#   scripts/bench-batch.sh                  # JOBS="1 2" REPS=1
#   JOBS=2 REPS=3 scripts/bench-batch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
jobs_list=${JOBS:-"1 2"}
reps=${REPS:-1}
python=${NPLUS1_PYTHON:-/usr/bin/python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/nplus1" ./cmd/nplus1

# make N KIND LANG: a distinct copy of challenges/orders-users/KIND/LANG.
make() {
  local dir="$work/subs/$1-$2-$3"
  mkdir -p "$dir"
  "$work/nplus1" init orders-users "$dir.tmp" --lang "$3" >/dev/null
  cp "$dir.tmp"/go.mod "$dir.tmp"/go.sum "$dir/" 2>/dev/null || true
  rm -rf "$dir.tmp"
  cp challenges/orders-users/"$2"/"$3"/* "$dir/"
  local main=main.go; [ "$3" = python ] && main=main.py
  local mark="//"; [ "$3" = python ] && mark="#"
  echo "$mark submission $1" >>"$dir/$main"
}
for i in $(seq -w 1 10); do make "$i" reference go; done
for i in $(seq -w 11 15); do make "$i" reference python; done
for i in $(seq -w 16 20); do make "$i" starter go; done

echo "20 submissions of orders-users; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %-5s %9s %12s %s\n' jobs rep wall_s per_minute verdicts
for r in $(seq "$reps"); do
  for j in $jobs_list; do
    # Another run, other programs: no build comes from an earlier run.
    for f in "$work"/subs/*/main.go; do echo "// run $r-$j" >>"$f"; done
    for f in "$work"/subs/*/main.py; do echo "# run $r-$j" >>"$f"; done
    rm -rf "$work/out"
    start=$(date +%s.%N)
    "$work/nplus1" grade "$work"/subs/* --jobs "$j" --python "$python" --postgres local \
      --out "$work/out" >"$work/log" 2>&1 || true
    end=$(date +%s.%N)
    verdicts=$(cat "$work"/out/*/result.json | grep -o '"verdict": *"[a-z]*"' | sort | uniq -c | awk '{printf "%s%s=%s", (NR>1?" ":""), $3, $1}' | tr -d '"')
    awk -v j="$j" -v r="$r" -v s="$start" -v e="$end" -v v="$verdicts" 'BEGIN {
      printf "%-5s %-5s %9.1f %12.1f %s\n", j, r, e-s, 20*60/(e-s), v }'
  done
done
