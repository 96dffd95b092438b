//! PostgreSQL's monthly history partitions: created as records arrive, and dropped whole by
//! a purge, keeping every record that is still a current state.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

use crate::helpers::{bare_record, complete_record, Db, TestApp};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn connect(app: &TestApp) -> diesel::PgConnection {
    real_dq::store::connection::establish_postgres(&app.database_url).expect("the test connects")
}

/// The history partitions, by name.
fn partitions(app: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = diesel::sql_query(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'records'::regclass",
    )
    .load::<Name>(&mut connect(app))
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    names.sort();
    names
}

fn history_rows(app: &TestApp) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM records")
        .get_result::<Count>(&mut connect(app))
        .unwrap()
        .n
}

fn at(record: &mut serde_json::Value, instant: &str) {
    record["recorded_at"] = json!(instant);
}

#[actix_web::test]
#[cfg_attr(
    not(realdq_postgres),
    ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn months_get_partitions_as_records_arrive_and_a_purge_drops_them() {
    let app = TestApp::builder(Db::Postgres).start().await;
    // P-1: replaced in June, so its March record is purgeable. P-2: only March, kept.
    // P-3: a January 2022 record, and an older one of December 2021 late.
    let mut old = bare_record("P-1", "ED");
    at(&mut old, "2021-03-01T10:00:00Z");
    app.store(&old, 201).await;
    let mut newer = complete_record("P-1", "ED");
    at(&mut newer, "2021-06-30T23:59:59.999999Z");
    app.store(&newer, 200).await;
    let mut only = bare_record("P-2", "NICU");
    at(&mut only, "2021-03-31T23:59:59Z");
    let kept = app.store(&only, 201).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut current = complete_record("P-3", "PICU");
    // In UTC this is 2022-01-01T02:00: January's partition, not December's.
    at(&mut current, "2021-12-31T21:00:00-05:00");
    app.store(&current, 201).await;
    let mut late = bare_record("P-3", "PICU");
    at(&mut late, "2021-12-15T10:00:00Z");
    app.store(&late, 200).await;
    assert_eq!(
        partitions(&app),
        [
            "records_2021_03",
            "records_2021_06",
            "records_2021_12",
            "records_2022_01"
        ]
    );
    assert_eq!(history_rows(&app), 5);

    // Before 2021-12-20: March and June go whole (P-2's and P-1's current records are put
    // back), December loses its row one by one (P-3's late record is history).
    let output = crate::access::real_dq_cli(&app, &["purge", "--before", "2021-12-20"]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("removed 2 history records"),
        "{output:?}"
    );
    assert_eq!(history_rows(&app), 3);
    assert_eq!(
        partitions(&app),
        [
            "records_2021_03",
            "records_2021_06",
            "records_2021_12",
            "records_2022_01"
        ],
        "months that still hold a current state are recreated for it"
    );
    assert_eq!(
        app.get(&format!("/v1/records/{kept}"))
            .await
            .status()
            .as_u16(),
        200
    );

    // Everything before 2023 that is not current: nothing more, and the empty December goes.
    let output = crate::access::real_dq_cli(&app, &["purge", "--before", "2023-01-01"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("removed 0 history records"),
        "{output:?}"
    );
    assert_eq!(
        partitions(&app),
        ["records_2021_03", "records_2021_06", "records_2022_01"]
    );
    assert_eq!(history_rows(&app), 3);
    // A record posted again after its month was purged and recreated is still a duplicate.
    app.store(&only, 200).await;
    assert_eq!(history_rows(&app), 3);
}
