//! A lean NDJSON batch client shared by the ingest examples: posts one batch over a plain
//! HTTP/1.1 connection, writing the body while reading the streamed answer, and counts the
//! answer lines. On a small machine a general-purpose HTTP client would take CPU from the
//! service it measures.

use memchr::memmem;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Counts a marker in a byte stream read in pieces (markers may straddle two reads; the
/// service's chunks end at line ends, so chunked framing never splits one).
struct Marker {
    finder: memmem::Finder<'static>,
    carry: Vec<u8>,
    count: u64,
}

impl Marker {
    fn new(needle: &'static [u8]) -> Marker {
        Marker {
            finder: memmem::Finder::new(needle),
            carry: Vec::new(),
            count: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        // The carry is one byte shorter than the marker, so it never holds a whole one.
        let keep = self.finder.needle().len() - 1;
        self.carry.extend_from_slice(bytes);
        self.count += self.finder.find_iter(&self.carry).count() as u64;
        let cut = self.carry.len().saturating_sub(keep);
        self.carry.drain(..cut);
    }
}

/// Posts the batch over a plain HTTP/1.1 connection, writing the body while reading the
/// streamed answer, and counts the answer lines. A deliberately lean client: on a small
/// machine a general-purpose HTTP client would take CPU from the service it measures.
pub async fn post_batch(base: &str, key: &str, body: String) -> (u64, u64) {
    let address = base.trim_start_matches("http://").to_string();
    let stream = TcpStream::connect(&address)
        .await
        .expect("service reachable");
    stream.set_nodelay(true).ok();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /v1/records/batch HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let sender = tokio::spawn(async move {
        writer
            .write_all(head.as_bytes())
            .await
            .expect("request head");
        writer
            .write_all(body.as_bytes())
            .await
            .expect("request body");
        writer.flush().await.expect("request flushed");
        writer
    });
    let mut lines = Marker::new(b"{\"line\":");
    let mut failed = Marker::new(b",\"error\":{");
    let mut buffer = vec![0u8; 1 << 20];
    let mut head_seen = Vec::new();
    loop {
        let read = reader.read(&mut buffer).await.expect("answer stream");
        if read == 0 {
            break;
        }
        if head_seen.len() < 12 {
            head_seen.extend_from_slice(&buffer[..read.min(12)]);
            assert!(
                head_seen.len() < 12 || head_seen.starts_with(b"HTTP/1.1 200"),
                "batch answered {}",
                String::from_utf8_lossy(&head_seen)
            );
        }
        lines.feed(&buffer[..read]);
        failed.feed(&buffer[..read]);
    }
    let (results, errors) = (lines.count - failed.count, failed.count);
    drop(sender.await);
    (results, errors)
}

/// Asks for the completeness report (by unit, source and reporter), the trend (12 months,
/// weeks and days), alerts, the distribution, drill-downs and the dashboard's pages `runs`
/// times each and prints their median, best and worst time and the patients they count.
pub async fn time_report(client: &reqwest::Client, base: &str, runs: usize) {
    time_get(client, base, "/v1/reports/completeness", runs).await;
    time_get(client, base, "/v1/alerts", runs).await;
    time_get(client, base, "/v1/reports/distribution", runs).await;
    // The trend: 12 months, 12 weeks and 12 days ending now.
    for period in ["month", "week", "day"] {
        time_get(
            client,
            base,
            &format!("/v1/reports/trend?period={period}"),
            runs,
        )
        .await;
    }
    // Breakdowns beyond unit: the same kept rows, added up by source or reporter.
    for path in [
        "/v1/reports/completeness?group_by=source",
        "/v1/reports/completeness?group_by=reported_by",
        "/v1/reports/trend?period=month&group_by=reported_by",
        "/v1/records?reported_by=self",
    ] {
        time_get(client, base, path, runs).await;
    }
    // The diff since 30 days ago (the default) and since a year ago.
    let year_ago = (chrono::Utc::now() - chrono::TimeDelta::days(365))
        .format("%Y-%m-%d")
        .to_string();
    let month_ago = (chrono::Utc::now() - chrono::TimeDelta::days(30))
        .format("%Y-%m-%d")
        .to_string();
    time_get(client, base, "/v1/reports/diff", runs).await;
    time_get(
        client,
        base,
        &format!("/v1/reports/diff?from={year_ago}"),
        runs,
    )
    .await;
    // The drill-down (a page of 50) and the dashboard's pages (with the same key, as a
    // script would send it; a browser sends the session cookie instead).
    let report: serde_json::Value = client
        .get(format!("{base}/v1/reports/completeness"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let unit = report["units"][0]["unit"]
        .as_str()
        .unwrap_or("ED")
        .to_string();
    for path in [
        format!("/v1/records?unit={unit}&domain=race&status=incomplete"),
        format!("/v1/records?unit={unit}&rule=RACE_MISSING&finding=new&since={month_ago}"),
        format!("/v1/records?unit={unit}&rule=RACE_MISSING&finding=resolved&since={month_ago}"),
        "/dashboard".to_string(),
        "/dashboard/trend?domain=race".to_string(),
        format!("/dashboard/units/{unit}"),
        format!("/dashboard/records?unit={unit}&status=incomplete,invalid"),
    ] {
        time_get(client, base, &path, runs).await;
    }
}

/// Times `runs` GETs of a report, printing the median, best and worst
/// and the patients counted (the last period's, for a trend).
pub async fn time_get(client: &reqwest::Client, base: &str, path: &str, runs: usize) {
    let mut timings = Vec::new();
    let mut patients = 0;
    for _ in 0..runs.max(1) {
        let started = std::time::Instant::now();
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let body = response.text().await.unwrap();
        timings.push(started.elapsed());
        let report: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let total = match report["periods"].as_array() {
            Some(periods) => periods
                .last()
                .map_or(&serde_json::Value::Null, |p| &p["total"]),
            None => &report["total"],
        };
        let count = &total["patients"];
        patients = count.as_u64().or_else(|| count["to"].as_u64()).unwrap_or(0);
    }
    timings.sort();
    println!(
        "{path} over {patients} patients: median {:.1?}, best {:.1?}, worst {:.1?} ({} runs)",
        timings[timings.len() / 2],
        timings[0],
        timings[timings.len() - 1],
        timings.len()
    );
}
