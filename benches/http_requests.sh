#!/usr/bin/env bash
# Per-request cost over HTTP, as a whole process: starts BINARY `serve` on a fresh SQLite
# file with an admin key, waits until it answers, sends N requests with ApacheBench (`ab`,
# Debian package apache2-utils) at concurrency C, prints ab's summary and stops the service.
#
#   benches/http_requests.sh BINARY validate|records|report|batch N [C]
#
# validate: POST /v1/validate of docs/example-record.json (nothing stored).
# records:  POST /v1/records of the same record: the first is stored, every later one is a
#           `duplicate` answered after its transaction (and, with keys, its audit row).
# report:   GET /v1/reports/completeness over an empty store.
# distinct: N distinct synthetic records, one POST /v1/records each, C keep-alive
#           connections (benches/post_records.py, Python standard library).
# batch:    N synthetic records as one NDJSON batch, by the `ingest` example
#           (cargo build --release --examples first), then one completeness report.
# The Authorization header is sent to any binary: one without keys ignores it, so the same
# command compares a build before access control with one after (docs/performance.md).
set -euo pipefail
binary=$1 mode=$2 requests=$3 concurrency=${4:-4}
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
key="rdq_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port=$((20000 + RANDOM % 20000))
REALDQ_DATABASE_URL="$dir/bench.db" REALDQ_BIND="127.0.0.1:$port" REALDQ_ADMIN_KEY="$key" \
  RUST_LOG=warn "$binary" serve >"$dir/out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.05
done
auth="Authorization: Bearer $key"
case $mode in
  validate) ab -q -k -n "$requests" -c "$concurrency" -H "$auth" -T application/json \
              -p "$here/docs/example-record.json" "http://127.0.0.1:$port/v1/validate" ;;
  records)  ab -q -k -n "$requests" -c "$concurrency" -H "$auth" -T application/json \
              -p "$here/docs/example-record.json" "http://127.0.0.1:$port/v1/records" ;;
  report)   ab -q -k -n "$requests" -c "$concurrency" -H "$auth" \
              "http://127.0.0.1:$port/v1/reports/completeness" ;;
  distinct) "$here/target/release/real-dq" generate --records "$requests" --seed 7 >"$dir/records.ndjson"
            python3 "$here/benches/post_records.py" "http://127.0.0.1:$port" "$key" \
              "$dir/records.ndjson" "$concurrency" ;;
  batch)    "$here/target/release/examples/ingest" --url "http://127.0.0.1:$port" --key "$key" \
              --records "$requests" --report-runs 1 ;;
  *) echo "mode: validate, records, distinct, report or batch" >&2; exit 2 ;;
esac | grep -E "Complete requests|Failed requests|Length:|Non-2xx|Requests per second|Time per request.*mean\)|99%|records/s|answered|errors|statuses"
