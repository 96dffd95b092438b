//! Liveness and readiness, including a database that goes away and comes back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

use crate::both;
use crate::helpers::{postgres_url, with_database, Db, TestApp};

both!(
    healthz_and_readyz_answer_when_all_is_well,
    |app| async move {
        let health = app.get_json("/healthz", 200).await;
        assert_eq!(health["status"], "ok");
        let ready = app.get_json("/readyz", 200).await;
        assert_eq!(ready["status"], "ready");
    }
);

/// A TCP relay to PostgreSQL that the test can cut and restore: a real outage of the
/// database as the service sees it.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Relay {
    /// Starts the relay on a thread of its own: the service connects through it from
    /// blocking code, which must not wait on the test's own runtime.
    fn start(target: String) -> Relay {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (up2, gen2) = (up.clone(), generation.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        break;
                    };
                    if !up2.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let born = gen2.load(Ordering::SeqCst);
                    let gen3 = gen2.clone();
                    let target = target.clone();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(target).await else {
                            return;
                        };
                        let relay = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                        let cut = async {
                            while gen3.load(Ordering::SeqCst) == born {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        };
                        tokio::select! { _ = relay => {}, _ = cut => {} }
                    });
                }
            })
        });
        Relay {
            port,
            up,
            generation,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[actix_web::test]
#[cfg_attr(
    not(realdq_postgres),
    ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn readyz_is_503_while_postgres_is_unreachable_and_recovers() {
    let admin = postgres_url();
    // A fresh database reached through the relay.
    let direct = TestApp::builder(Db::Postgres).start().await;
    let name = direct
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let host_port = admin
        .split("://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let host_port = host_port.rsplit('@').next().unwrap().to_string();
    let relay = Relay::start(host_port.clone());
    let relayed =
        with_database(&admin, &name).replacen(&host_port, &format!("127.0.0.1:{}", relay.port), 1);
    let mut app = TestApp::builder(Db::Postgres).url(&relayed).start().await;
    // The database's admin key is the one the first start created.
    app.client = crate::helpers::keyed_client(&direct.admin_key);

    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
    relay.cut();
    // The relay drops its open links within 50 ms.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "5");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "service_unavailable");
    // Writes fail cleanly too, and the service keeps running.
    let stored = app
        .post_json(
            "/v1/records",
            &crate::helpers::complete_record("MRN-1", "ED"),
        )
        .await;
    assert_eq!(stored.status().as_u16(), 503);
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);

    relay.restore();
    let mut recovered = false;
    for _ in 0..40 {
        if app.get("/readyz").await.status().as_u16() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "readyz recovers when the database returns");
    let stored = app
        .post_json(
            "/v1/records",
            &crate::helpers::complete_record("MRN-1", "ED"),
        )
        .await;
    assert_eq!(stored.status().as_u16(), 201);
    drop(direct);
}
