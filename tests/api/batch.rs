//! `POST /v1/records/batch`: streamed NDJSON, one answer per line, in order, bad lines
//! isolated, valid lines committed.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, Db, TestApp};

/// Posts a batch as a chunked stream of `pieces` (no Content-Length); returns the answers.
async fn post_streamed(app: &TestApp, pieces: Vec<String>) -> Vec<Value> {
    let chunks: Vec<Result<String, std::io::Error>> = pieces.into_iter().map(Ok).collect();
    let response = app
        .client
        .post(app.url("/v1/records/batch"))
        .header("content-type", "application/x-ndjson")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

both!(
    bad_lines_get_their_own_errors_and_never_sink_good_ones,
    |app| async move {
        let body = format!(
            "{}\n{{not json\n{}\n\n{}\n{}",
            complete_record("MRN-1", "ED"),
            json!({"source": "epic", "unit": "ED"}),
            bare_record("MRN-2", "ED"),
            complete_record("MRN-3", "NICU"),
        );
        let answers = app.batch(&body).await;
        let lines: Vec<u64> = answers
            .iter()
            .map(|a| a["line"].as_u64().unwrap())
            .collect();
        assert_eq!(
            lines,
            [1, 2, 3, 5, 6],
            "one answer per non-blank line, in order"
        );
        assert_eq!(answers[0]["result"]["outcome"], "created");
        assert_eq!(answers[1]["error"]["code"], "invalid_json");
        assert_eq!(answers[2]["error"]["code"], "validation_failed");
        let paths: Vec<&str> = answers[2]["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["patient_id", "recorded_at"]);
        assert_eq!(answers[3]["result"]["status"], "incomplete");
        assert_eq!(answers[4]["result"]["unit"], "NICU");
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 3);
    }
);

both!(
    a_batch_larger_than_a_chunk_is_committed_in_full,
    |app| async move {
        // 2,500 lines cross a chunk boundary (2,000 lines per transaction by default).
        let records: Vec<Value> = (0..2_500)
            .map(|i| {
                if i % 5 == 0 {
                    bare_record(&format!("P{i}"), "PICU")
                } else {
                    complete_record(&format!("P{i}"), "PICU")
                }
            })
            .collect();
        let answers = app.batch(&ndjson(&records)).await;
        assert_eq!(answers.len(), 2_500);
        for (i, answer) in answers.iter().enumerate() {
            assert_eq!(answer["line"], (i + 1) as u64);
            assert_eq!(answer["result"]["outcome"], "created");
        }
        let report = app.report("?unit=PICU").await;
        assert_eq!(report["units"][0]["patients"], 2_500);
        assert_eq!(report["units"][0]["domains"]["race"]["missing"], 500);
    }
);

both!(
    duplicates_within_and_across_batches_count_once,
    |app| async move {
        let record = complete_record("MRN-1", "ED");
        let answers = app.batch(&ndjson(&[record.clone(), record.clone()])).await;
        assert_eq!(answers[0]["result"]["outcome"], "created");
        assert_eq!(answers[1]["result"]["outcome"], "duplicate");
        assert_eq!(answers[1]["result"]["id"], answers[0]["result"]["id"]);
        let again = app.batch(&ndjson(&[record])).await;
        assert_eq!(again[0]["result"]["outcome"], "duplicate");
        assert_eq!(app.report("").await["total"]["patients"], 1);
    }
);

both!(
    crlf_line_ends_and_a_missing_final_newline_are_accepted,
    |app| async move {
        let body = format!(
            "{}\r\n{}",
            complete_record("A", "ED"),
            complete_record("B", "ED")
        );
        let answers = app.batch(&body).await;
        assert_eq!(answers.len(), 2);
        assert!(answers.iter().all(|a| a["result"]["outcome"] == "created"));
    }
);

#[actix_web::test]
async fn an_oversized_line_is_rejected_alone() {
    let app = TestApp::builder(Db::Sqlite)
        .settings(|s| s.max_record_bytes = 2_000)
        .start()
        .await;
    let mut big = complete_record("BIG", "ED");
    big["race"]["text"] = json!("x".repeat(10_000));
    let answers = app
        .batch(&ndjson(&[
            complete_record("A", "ED"),
            big,
            complete_record("B", "ED"),
        ]))
        .await;
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["result"]["outcome"], "created");
    assert_eq!(answers[1]["line"], 2);
    assert_eq!(answers[1]["error"]["code"], "payload_too_large");
    assert_eq!(answers[2]["result"]["patient_id"], "B");
}

#[actix_web::test]
async fn a_batch_that_outgrows_its_cap_while_streaming_ends_with_413_after_committing_what_came_before(
) {
    let app = TestApp::builder(Db::Sqlite)
        .settings(|s| {
            s.max_batch_bytes = 20_000;
            s.batch_chunk = 2
        })
        .start()
        .await;
    let records: Vec<Value> = (0..100)
        .map(|i| complete_record(&format!("P{i}"), "ED"))
        .collect();
    let body = ndjson(&records);
    // No Content-Length: a chunked stream, so the cap is found while reading.
    let answers = post_streamed(&app, body.lines().map(|l| format!("{l}\n")).collect()).await;
    let last = answers.last().unwrap();
    assert_eq!(last["error"]["code"], "payload_too_large");
    let stored = answers.iter().filter(|a| a.get("result").is_some()).count();
    assert!(stored > 0 && stored < 100, "stored {stored}");
    assert_eq!(app.report("").await["total"]["patients"], stored as u64);
}

#[actix_web::test]
async fn lines_that_fit_under_the_cap_are_kept_when_one_read_crosses_it() {
    let app = TestApp::builder(Db::Sqlite)
        .settings(|s| s.max_batch_bytes = 4_000)
        .start()
        .await;
    let records: Vec<Value> = (0..20)
        .map(|i| complete_record(&format!("P{i}"), "ED"))
        .collect();
    let body = ndjson(&records);
    let line_length = body.lines().next().unwrap().len() + 1;
    let fitting = 4_000 / line_length;
    // One stream item, no Content-Length: the whole body arrives in one read.
    let answers = post_streamed(&app, vec![body]).await;
    assert_eq!(answers.len(), fitting + 1);
    assert!(answers[..fitting]
        .iter()
        .all(|a| a["result"]["outcome"] == "created"));
    assert_eq!(answers[fitting]["line"], (fitting + 1) as u64);
    assert_eq!(answers[fitting]["error"]["code"], "payload_too_large");
    assert_eq!(app.report("").await["total"]["patients"], fitting as u64);
}

#[actix_web::test]
async fn a_crlf_line_of_exactly_the_record_limit_is_accepted() {
    let record = complete_record("EXACT", "ED").to_string();
    let limit = record.len();
    let app = TestApp::builder(Db::Sqlite)
        .settings(|s| s.max_record_bytes = limit)
        .start()
        .await;
    let answers = app.batch(&format!("{record}\r\n")).await;
    assert_eq!(answers[0]["result"]["outcome"], "created", "{}", answers[0]);
}

both!(
    a_client_that_sends_everything_before_reading_gets_every_answer,
    |app| async move {
        // Larger than the loopback socket buffers both ways: without spooling the answers, the
        // service would stop reading while the client is still sending, and both would wait.
        let records: Vec<Value> = (0..8_000)
            .map(|i| complete_record(&format!("S{i}"), "ED"))
            .collect();
        let body = ndjson(&records);
        let address = app.address.trim_start_matches("http://").to_string();
        let key = app.admin_key.clone();
        let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
        stream.set_write_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
        let head = format!(
            "POST /v1/records/batch HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).expect("the whole body is accepted before any answer is read");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 200"));
        assert_eq!(text.matches("\"outcome\":\"created\"").count(), 8_000);
        assert_eq!(app.report("").await["total"]["patients"], 8_000);
    }
);

/// More than the 16 MiB a chunk of lines may hold, so that one line (or one run of blank
/// lines) fills a chunk's byte budget on its own.
const PAST_A_CHUNK: usize = 17 * 1024 * 1024;

/// The line numbers answered, and the patient ids stored or the error codes.
fn answered(answers: &[Value]) -> Vec<(u64, String)> {
    answers
        .iter()
        .map(|a| {
            let what = match a.get("result") {
                Some(result) => result["patient_id"].as_str().unwrap().to_string(),
                None => a["error"]["code"].as_str().unwrap().to_string(),
            };
            (a["line"].as_u64().unwrap(), what)
        })
        .collect()
}

fn expected(pairs: &[(u64, &str)]) -> Vec<(u64, String)> {
    pairs.iter().map(|(n, w)| (*n, w.to_string())).collect()
}

#[actix_web::test]
async fn a_17_mib_line_first_gets_its_413_and_the_lines_after_it_are_stored() {
    // The shape reported: default limits, one line of 17 MiB, then records.
    let app = TestApp::builder(Db::Sqlite).start().await;
    let body = format!(
        "{}\n{}",
        "x".repeat(PAST_A_CHUNK),
        ndjson(&[
            complete_record("AFTER-1", "ED"),
            complete_record("AFTER-2", "ED"),
            complete_record("AFTER-3", "ED"),
        ])
    );
    let answers = app.batch(&body).await;
    assert_eq!(
        answered(&answers),
        expected(&[
            (1, "payload_too_large"),
            (2, "AFTER-1"),
            (3, "AFTER-2"),
            (4, "AFTER-3")
        ])
    );
    assert!(answers[0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("at most {} bytes", 256 * 1024)));
    assert_eq!(app.report("").await["total"]["patients"], 3);
}

#[actix_web::test]
async fn an_oversized_line_first_never_ends_a_streamed_batch() {
    // The same with a small record limit, the body sent in pieces of 64 KiB without a
    // Content-Length, and the long line ending in CRLF.
    let app = TestApp::builder(Db::Sqlite)
        .settings(|s| s.max_record_bytes = 4_000)
        .start()
        .await;
    let mut body = format!("{{\"pad\":\"{}\"}}\r\n", "y".repeat(PAST_A_CHUNK));
    body.push_str(&ndjson(&[
        complete_record("S-1", "ED"),
        complete_record("S-2", "ED"),
    ]));
    let pieces: Vec<String> = body
        .as_bytes()
        .chunks(64 * 1024)
        .map(|piece| String::from_utf8(piece.to_vec()).unwrap())
        .collect();
    let answers = post_streamed(&app, pieces).await;
    assert_eq!(
        answered(&answers),
        expected(&[(1, "payload_too_large"), (2, "S-1"), (3, "S-2")])
    );
    assert_eq!(app.report("").await["total"]["patients"], 2);
}

#[actix_web::test]
async fn sixteen_mib_of_blank_lines_are_skipped_and_never_end_the_batch() {
    let app = TestApp::builder(Db::Sqlite).start().await;
    let blank = PAST_A_CHUNK;
    let body = format!("{}{}", "\n".repeat(blank), complete_record("LATE", "ED"));
    let answers = app.batch(&body).await;
    assert_eq!(
        answered(&answers),
        expected(&[(blank as u64 + 1, "LATE")]),
        "only the record is answered, with its true line number"
    );
    // Blank lines of spaces and CRLF count the same way.
    let spaces = format!("{}\r\n", " ".repeat(1_000));
    let runs = PAST_A_CHUNK / spaces.len() + 1;
    let body = format!(
        "{}{}",
        spaces.repeat(runs),
        ndjson(&[complete_record("LATER", "ED")])
    );
    let answers = app.batch(&body).await;
    assert_eq!(answered(&answers), expected(&[(runs as u64 + 1, "LATER")]));
    assert_eq!(app.report("").await["total"]["patients"], 2);
}

#[actix_web::test]
async fn long_lines_and_blank_runs_in_the_middle_of_a_batch_sink_nothing_after_them() {
    // Chunks of two lines: the long line and the blank run each start a chunk, where a
    // chunk once ended without a line to answer and was taken for the end of the body.
    let app = TestApp::builder(Db::Sqlite)
        .settings(|s| {
            s.max_record_bytes = 4_000;
            s.batch_chunk = 2
        })
        .start()
        .await;
    let blank = PAST_A_CHUNK;
    let body = format!(
        "{}{}\n{}{}{}{}",
        ndjson(&[complete_record("M-1", "ED"), complete_record("M-2", "ED")]),
        "z".repeat(PAST_A_CHUNK),
        ndjson(&[complete_record("M-3", "ED")]),
        "\n".repeat(blank),
        ndjson(&[complete_record("M-4", "ED"), complete_record("M-5", "ED")]),
        "w".repeat(5_000),
    );
    let answers = app.batch(&body).await;
    let after_blanks = 4 + blank as u64;
    assert_eq!(
        answered(&answers),
        expected(&[
            (1, "M-1"),
            (2, "M-2"),
            (3, "payload_too_large"),
            (4, "M-3"),
            (after_blanks + 1, "M-4"),
            (after_blanks + 2, "M-5"),
            (after_blanks + 3, "payload_too_large"),
        ])
    );
    assert_eq!(app.report("").await["total"]["patients"], 5);
}

both!(
    a_line_whose_write_fails_gets_its_own_error_and_the_others_are_stored,
    |app| async move {
        // The database refuses one patient's row: the chunk's transaction fails, and its
        // lines are stored one by one, so only that line is lost.
        crate::stages::refuse_writes_of(&app, "POISON");
        let answers = app
            .batch(&ndjson(&[
                complete_record("W-1", "ED"),
                complete_record("POISON", "ED"),
                complete_record("W-3", "ED"),
            ]))
            .await;
        assert_eq!(
            answered(&answers),
            expected(&[(1, "W-1"), (2, "internal"), (3, "W-3")])
        );
        assert!(
            !answers[1].to_string().contains("POISON"),
            "no patient id in the error: {}",
            answers[1]
        );
        assert_eq!(app.report("").await["total"]["patients"], 2);
        crate::stages::allow_writes(&app);
        let again = app.batch(&ndjson(&[complete_record("POISON", "ED")])).await;
        assert_eq!(again[0]["result"]["outcome"], "created", "{}", again[0]);
    }
);

both!(
    concurrent_batches_on_the_same_patients_keep_the_newest_and_count_each_once,
    |app| async move {
        // Six batches at once, each holding a version of the same 1,500 patients: writer
        // `w`'s version is recorded `w` minutes later, and only the last writer's is
        // complete. However the transactions interleave (on PostgreSQL they lock the same
        // rows, and race to create the same new patients), every line is answered with a
        // result, each patient is counted once, and its newest version is the current one.
        let base = chrono::Utc::now() - chrono::TimeDelta::days(3);
        let batch_of = |writer: i64| -> String {
            (0..1500)
                .map(|p| {
                    let id = format!("P{p}");
                    let mut record = if writer == 5 {
                        complete_record(&id, "ED")
                    } else {
                        bare_record(&id, "ED")
                    };
                    let at = base + chrono::TimeDelta::minutes(writer);
                    record["recorded_at"] = json!(at.to_rfc3339());
                    format!("{record}\n")
                })
                .collect()
        };
        let bodies: Vec<String> = (0..6).map(batch_of).collect();
        let answers =
            futures_util::future::join_all(bodies.iter().map(|body| app.batch(body))).await;
        for (writer, lines) in answers.iter().enumerate() {
            assert_eq!(lines.len(), 1500, "writer {writer}: every line answered");
            for line in lines {
                assert!(
                    line["result"]["outcome"].is_string(),
                    "writer {writer}: {line}"
                );
            }
        }
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 1500);
        let race = &report["units"][0]["domains"]["race"];
        assert_eq!(race["missing"], 0, "{race}");
        let stale = app
            .get_json("/v1/records?unit=ED&status=incomplete&limit=1", 200)
            .await;
        assert_eq!(
            stale["items"].as_array().map(Vec::len),
            Some(0),
            "every current state is the last writer's: {stale}"
        );
    }
);
