#!/usr/bin/env bash
# End-to-end comparison: the completeness report by unit from one NDJSON extract, computed
# by real-dq (the service, and `real-dq report` when the binary has it) and by what a
# quality analyst would write with DuckDB and with pandas. Then one more day of records:
# real-dq adds it to its store; the peers can only rescan everything.
#
#   benches/compare/run.sh [100k|1m]      (default 100k; docs/performance.md has figures)
#
# Each tool starts cold (a new process; for real-dq a fresh SQLite file); the input files
# are generated first, untimed, so every tool reads them from the page cache. Measured:
#   first report  wall time from process start to the report written (real-dq: serve
#                 started, batch posted and answered, GET /v1/reports/completeness)
#   update        real-dq: post 10,000 more records to the same store, fetch the report;
#                 peers: run again over the extract plus the new day
#   CPU           user + system seconds of the tool's process (the service's from
#                 /proc/PID/stat; curl's own CPU is not counted): steadier than wall
#                 time on a shared machine
#   peak RSS      /usr/bin/time -v (the service: VmHWM from /proc before it stops)
set -euo pipefail

size=${1:-100k}
case $size in
  100k) records=100000 ;;
  1m) records=1000000 ;;
  *) echo "usage: $0 [100k|1m]" >&2; exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
work=$target/compare/$size
bin=$target/release/real-dq
mkdir -p "$work"

# --- Tools: curl, GNU time, a venv with the pinned peers (nothing here is timed). ---
apt() { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; }
command -v curl >/dev/null || apt curl
[ -x /usr/bin/time ] || apt time
venv=$target/compare-venv
if ! "$venv/bin/python" -c 'import duckdb, pandas' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" || { apt python3-venv && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q -r "$repo/benches/compare/requirements.txt"
fi
(cd "$repo" && cargo build --release --bin real-dq)

# --- The data: 50 units, 12 months, 2 records a patient on average, in time order; and
# the next day, for the same patients (most come back, some are new). ---
patients=$((records * 2 / 5))
shape=(--seed 1 --units 50 --start 2025-11-01 --patients "$patients")
main=$work/records.ndjson
day=$work/next-day.ndjson
both=$work/records-and-next-day.ndjson
"$bin" generate "${shape[@]}" --months 12 --records "$records" >"$main"
"$bin" generate "${shape[@]}" --after 2026-10-31 --records 10000 >"$day"
cat "$main" "$day" >"$both"
echo "data: $records records of $patients patients ($(du -h "$main" | cut -f1)), next day 10,000"

now() { date +%s.%N; }
patients() { "$venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"]["patients"])' "$1"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
results=$work/results.tsv
printf 'tool\tsize\tfirst_report_s\tupdate_s\tpeak_rss_mib\tpatients\tfirst_cpu_s\tupdate_cpu_s\n' >"$results"

# --- (a) real-dq serve: one streamed NDJSON batch into a fresh store, then the report. ---
key="rdq_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
store=$work/store.db
rm -f "$store" "$store"-*
post() { # post an NDJSON file as one batch; print how many answer lines hold a result
  curl -sS --fail -X POST -T "$1" -H 'Expect:' -H 'content-type: application/x-ndjson' \
    -H "authorization: Bearer $key" "$url/v1/records/batch" | grep -c '"result"'
}
report() { curl -sS --fail -H "authorization: Bearer $key" "$url/v1/reports/completeness" -o "$1"; }
hwm() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server/stat"; }

rm -f "$work/serve.out" # not to read the address of an earlier run
start=$(now)
REALDQ_DATABASE_URL=$store REALDQ_BIND=127.0.0.1:0 REALDQ_ADMIN_KEY=$key \
  REALDQ_LOG_FORMAT=json "$bin" serve >"$work/serve.out" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
waited=0
alive() { # the server still runs, and has not taken a minute to start
  kill -0 "$server" 2>/dev/null && [ $((waited += 1)) -lt 3000 ] && return
  echo "real-dq serve did not get ready (url: ${url:-none}); its log:" >&2
  cat "$work/serve.out" "$work/serve.log" >&2; exit 1
}
until url=$(grep -o 'listening on http://[0-9.]*:[0-9]*$' "$work/serve.out" 2>/dev/null); do
  alive; sleep 0.02
done
url=${url#listening on }
until curl -sf "$url/readyz" >/dev/null; do alive; sleep 0.02; done
stored=$(post "$main")
report "$work/report-serve.json"
first=$(secs "$start" "$(now)")
cpu1=$(cpu)
[ "$stored" -eq "$records" ] || { echo "real-dq answered $stored results for $records records" >&2; exit 1; }
start=$(now)
stored=$(post "$day")
report "$work/report-serve-next-day.json"
update=$(secs "$start" "$(now)")
cpu2=$(cpu)
[ "$stored" -eq 10000 ] || { echo "real-dq answered $stored results for 10000 records" >&2; exit 1; }
rss=$(hwm)
kill "$server"; wait "$server" 2>/dev/null || true; trap - EXIT
count=$(patients "$work/report-serve.json")
printf 'real-dq serve\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$first" "$update" "$rss" "$count" \
  "$cpu1" "$(secs "$cpu1" "$cpu2")" >>"$results"

# --- (b)-(d): a process per run over a file; wall time, and peak RSS from GNU time. ---
timed() { # timed NAME COMMAND...: run once, print "seconds peak_rss_mib cpu_seconds"
  local name=$1 t0; shift
  t0=$(now)
  # A non-zero exit (a tool that flags invalid records so) is reported, not fatal.
  /usr/bin/time -v -o "$work/time-$name.txt" "$@" >"$work/out-$name.txt" ||
    echo "note: $name exited with status $?" >&2
  printf '%s %s %s\n' "$(secs "$t0" "$(now)")" "$(awk -F': ' '
    /Maximum resident/ { rss = $2 / 1024 } /User time|System time/ { cpu += $2 }
    END { printf "%.0f %.2f", rss, cpu }' "$work/time-$name.txt")"
}
peer() { # peer TOOL FIRST_COMMAND... -- UPDATE_COMMAND...: time both, keep the worse RSS
  local tool=$1 first_cmd=() update_cmd=(); shift
  while [ "$1" != -- ]; do first_cmd+=("$1"); shift; done; shift
  update_cmd=("$@")
  read -r first rss1 cpu1 < <(timed "$tool-first" "${first_cmd[@]}")
  read -r update rss2 cpu2 < <(timed "$tool-update" "${update_cmd[@]}")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$size" "$first" "$update" \
    "$((rss1 > rss2 ? rss1 : rss2))" "$(patients_of "$tool")" "$cpu1" "$cpu2" >>"$results"
}
patients_of() { # current patients in the first report, for the check that all agree
  case $1 in
    "real-dq report") patients "$work/out-real-dq report-first.txt" 2>/dev/null || echo "?" ;;
    *) awk -F, '$2 == "race" { n += $3 } END { print n }' "$work/$1.csv" ;;
  esac
}

# (b) real-dq report FILE: the same report computed offline, with no store.
if "$bin" report --help >/dev/null 2>&1; then
  peer "real-dq report" "$bin" report "$main" -- "$bin" report "$both"
else
  echo "real-dq report: skipped: real-dq report not available"
fi

# (c) DuckDB and (d) pandas, as an analyst would write them (benches/compare/*.py).
py=("$venv/bin/python" "$repo/benches/compare")
peer duckdb "${py[0]}" "${py[1]}/analyst_duckdb.py" "$repo/data/codesets" "$work/duckdb.csv" "$main" \
  -- "${py[0]}" "${py[1]}/analyst_duckdb.py" "$repo/data/codesets" "$work/duckdb-update.csv" "$both"
peer pandas "${py[0]}" "${py[1]}/analyst_pandas.py" "$repo/data/codesets" "$work/pandas.csv" "$main" \
  -- "${py[0]}" "${py[1]}/analyst_pandas.py" "$repo/data/codesets" "$work/pandas-update.csv" "$both"
for run in "" -update; do # the two analysts' reports must agree
  if cmp -s "$work/duckdb$run.csv" "$work/pandas$run.csv"; then echo "DuckDB and pandas reports$run: identical"
  else echo "DuckDB and pandas reports$run DIFFER: $work/duckdb$run.csv $work/pandas$run.csv"; fi
done

# --- The table, with ratios against DuckDB (below 1: faster or smaller than DuckDB). ---
echo
awk -F'\t' 'NR == 1 { next }
  { row[NR] = $0 } $1 == "duckdb" { df = $3; du = $4; dr = $5 }
  END {
    printf "%-14s %-4s %9s %8s %8s %9s %9s %7s %7s %7s\n", "tool", "size", "first", "update",
      "peak RSS", "CPU first", "CPU upd", "first/", "upd/", "RSS/"
    printf "%-14s %-4s %9s %8s %8s %9s %9s %7s %7s %7s\n", "", "", "report", "", "MiB", "", "",
      "DuckDB", "DuckDB", "DuckDB"
    for (i = 2; i <= NR; i++) {
      split(row[i], f, "\t")
      printf "%-14s %-4s %8.2fs %7.2fs %8d %8.2fs %8.2fs %7.2f %7.3f %7.2f\n", f[1], f[2], f[3],
        f[4], f[5], f[7], f[8], f[3] / df, f[4] / du, f[5] / dr
    }
  }' "$results"
echo "current patients in the first report: $(awk -F'\t' 'NR > 1 { printf "%s %s; ", $1, $6 }' "$results")"
echo "after the next day: real-dq serve $(patients "$work/report-serve-next-day.json");" \
  "duckdb $(awk -F, '$2 == "race" { n += $3 } END { print n }' "$work/duckdb-update.csv")"
echo "(results: $results)"
