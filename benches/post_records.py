#!/usr/bin/env python3
"""POST each line of an NDJSON file as one record (POST /v1/records) over keep-alive
connections, CONNECTIONS at a time; prints the count of each status and records/s.

    python3 benches/post_records.py URL KEY FILE [CONNECTIONS]

Standard library only. Used by benches/http_requests.sh (mode `distinct`)."""
import collections
import http.client
import sys
import threading
import time
import urllib.parse


def main():
    url, key, path = sys.argv[1], sys.argv[2], sys.argv[3]
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    lines = [line.encode() for line in open(path, encoding="utf-8") if line.strip()]
    target = urllib.parse.urlparse(url)
    statuses = collections.Counter()
    lock = threading.Lock()

    def worker(part):
        conn = http.client.HTTPConnection(target.hostname, target.port)
        headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
        for body in part:
            conn.request("POST", "/v1/records", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(lines[i::connections],)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"posted {len(lines)} records in {elapsed:.2f} s = {len(lines) / elapsed:.0f} records/s")


if __name__ == "__main__":
    main()
