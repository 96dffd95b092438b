#!/usr/bin/env bash
# Per-request cost over HTTP, as a whole process: starts BINARY `serve` on a fresh SQLite
# file with an admin key, waits until it answers, sends N requests with ApacheBench (`ab`,
# Debian package apache2-utils) at concurrency C, prints ab's summary and stops the service.
#
#   benches/http_requests.sh BINARY validate|records|report N [C]
#
# validate: POST /v1/validate of docs/example-record.json (nothing stored).
# records:  POST /v1/records of the same record: the first is stored, every later one is a
#           `duplicate` answered after its transaction (and, with keys, its audit row).
# report:   GET /v1/reports/completeness over an empty store.
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
  *) echo "mode: validate, records or report" >&2; exit 2 ;;
esac | grep -E "Complete requests|Failed requests|Non-2xx|Requests per second|Time per request.*mean\)|99%"
