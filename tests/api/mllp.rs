//! HL7 v2 over MLLP: framed messages in, framed ACKs out, many connections at once, bad
//! frames answered AR, a listener that outlives any one connection, and the peer
//! allow-list (`REALDQ_MLLP_ALLOW`).

use std::net::SocketAddr;
use std::time::Duration;

use real_dq::ingest::mllp::AllowList;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Db, TestApp};

/// Runs an MLLP scenario on SQLite and on PostgreSQL (when configured).
macro_rules! both_mllp {
    ($name:ident, |$app:ident, $address:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(db: Db) {
                let $app = TestApp::builder(db).mllp().start().await;
                let $address = $app.mllp_address();
                $body.await;
            }

            #[actix_web::test]
            async fn sqlite() {
                run(Db::Sqlite).await;
            }

            #[actix_web::test]
            #[cfg_attr(
                not(realdq_postgres),
                ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
            )]
            async fn postgres() {
                run(Db::Postgres).await;
            }
        }
    };
}

/// An ADT^A04 for `patient` in unit PEDS.
pub fn adt(control: &str, patient: &str) -> String {
    format!(
        "MSH|^~\\&|EPIC|HOSP|REALDQ|REALDQ|20261120140300||ADT^A04^ADT_A01|{control}|P|2.5.1\r\
         PID|1||{patient}^^^HOSP^MR||DOE^JANE||20190402|F||2106-3^White^CDCREC~2028-9^Asian^CDCREC~2040-4^Korean^CDCREC|||||es^Spanish^HL70296|||||||N^Not Hispanic^HL70189\r\
         PV1|1|O|PEDS\r"
    )
}

/// `message` in an MLLP frame.
pub fn framed(message: &str) -> Vec<u8> {
    let mut out = vec![0x0b];
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(&[0x1c, 0x0d]);
    out
}

/// Reads one framed answer (over TCP or TLS).
pub async fn read_frame(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let read = stream.read(&mut byte).await.expect("read");
        assert_eq!(read, 1, "the connection closed before a whole frame");
        buffer.push(byte[0]);
        if buffer.ends_with(&[0x1c, 0x0d]) {
            break;
        }
    }
    assert_eq!(buffer[0], 0x0b, "a frame starts with 0x0B");
    String::from_utf8(buffer[1..buffer.len() - 2].to_vec()).unwrap()
}

/// MSA-1 and MSA-2 of an ACK.
pub fn msa(ack: &str) -> (String, String) {
    let line = ack
        .split('\r')
        .find(|s| s.starts_with("MSA|"))
        .unwrap_or_else(|| panic!("no MSA in {ack:?}"));
    let fields: Vec<&str> = line.split('|').collect();
    (
        fields[1].to_string(),
        fields.get(2).unwrap_or(&"").to_string(),
    )
}

both_mllp!(
    a_framed_adt_is_stored_and_acknowledged,
    |app, address| async move {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(&framed(&adt("C1", "MLLP-1")))
            .await
            .unwrap();
        let ack = read_frame(&mut stream).await;
        assert_eq!(msa(&ack), ("AA".into(), "C1".into()), "{ack}");
        // A second message on the same connection, and garbage, then a good one again.
        stream.write_all(b"not a frame").await.unwrap();
        let ack = read_frame(&mut stream).await;
        assert_eq!(msa(&ack).0, "AR", "{ack}");
        assert!(ack.contains("BAD_FRAME"), "{ack}");
        stream.write_all(&framed("PID|no header")).await.unwrap();
        assert_eq!(msa(&read_frame(&mut stream).await).0, "AR");
        stream
            .write_all(&framed(&adt("C2", "MLLP-2")))
            .await
            .unwrap();
        assert_eq!(
            msa(&read_frame(&mut stream).await),
            ("AA".into(), "C2".into())
        );
        let listed = app.get_json("/v1/records?unit=PEDS", 200).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    }
);

both_mllp!(
    many_connections_are_served_at_once_and_a_broken_one_harms_none,
    |app, address| async move {
        // A client that sends half a frame and hangs up.
        let mut broken = TcpStream::connect(address).await.unwrap();
        broken.write_all(b"\x0bMSH|^~\\&|HALF").await.unwrap();
        drop(broken);
        let mut tasks = Vec::new();
        for client in 0..12 {
            tasks.push(actix_web::rt::spawn(async move {
                let mut stream = TcpStream::connect(address).await.unwrap();
                let mut answers = Vec::new();
                for message in 0..4 {
                    let control = format!("K{client}-{message}");
                    stream
                        .write_all(&framed(&adt(&control, &format!("MLLP-{client}-{message}"))))
                        .await
                        .unwrap();
                    answers.push((control, msa(&read_frame(&mut stream).await)));
                }
                answers
            }));
        }
        for task in tasks {
            for (control, (code, echoed)) in task.await.unwrap() {
                assert_eq!(code, "AA");
                assert_eq!(echoed, control);
            }
        }
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 48);
    }
);

/// Sends one message and reads what comes back: `Ok(0)` or an error when the server closed
/// the connection unanswered.
async fn send_and_read(address: SocketAddr, message: &str) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(address).await?;
    // The server may close before the write lands; only what is read back matters.
    let _ = stream.write_all(&framed(message)).await;
    let mut answer = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server closes a refused connection rather than leaving it open")
}

mod a_peer_outside_the_allow_list_is_closed_unanswered {
    use super::*;

    async fn run(db: Db) {
        let app = TestApp::builder(db)
            .mllp_allowing("10.0.0.0/8,fd00::/8")
            .start()
            .await;
        let address = app.mllp_address();
        match send_and_read(address, &adt("R1", "MLLP-REFUSED")).await {
            Ok(read) => assert_eq!(read, 0, "a refused peer got bytes back"),
            Err(error) => assert!(
                matches!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                ),
                "{error}"
            ),
        }
        let listed = app.get_json("/v1/records?unit=PEDS", 200).await;
        assert!(listed["items"].as_array().unwrap().is_empty(), "{listed}");
    }

    #[actix_web::test]
    async fn sqlite() {
        run(Db::Sqlite).await;
    }

    #[actix_web::test]
    #[cfg_attr(
        not(realdq_postgres),
        ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
    )]
    async fn postgres() {
        run(Db::Postgres).await;
    }
}

#[actix_web::test]
async fn the_default_allow_list_admits_loopback_and_a_plain_address_is_one_host() {
    assert_eq!(
        real_dq::config::Settings::for_database("x.db")
            .hl7
            .mllp_allow,
        AllowList::parse("127.0.0.0/8,::1/128").unwrap()
    );
    let app = TestApp::builder(Db::Sqlite).mllp().start().await;
    let address = app.mllp_address();
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(&framed(&adt("D1", "MLLP-D1")))
        .await
        .unwrap();
    assert_eq!(msa(&read_frame(&mut stream).await).0, "AA");
    let app = TestApp::builder(Db::Sqlite)
        .mllp_allowing("10.0.0.0/8, 127.0.0.1")
        .start()
        .await;
    let address = app.mllp_address();
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(&framed(&adt("D2", "MLLP-D2")))
        .await
        .unwrap();
    assert_eq!(msa(&read_frame(&mut stream).await).0, "AA");
}

#[test]
fn a_bad_allow_list_stops_serve_at_start_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_real-dq"))
        .arg("serve")
        .env("REALDQ_BIND", "127.0.0.1:0")
        .env("REALDQ_DATABASE_URL", dir.path().join("db.sqlite"))
        .env("REALDQ_MLLP", "127.0.0.1:0")
        .env("REALDQ_MLLP_ALLOW", "127.0.0.0/8,10.0.0.0/33")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("REALDQ_MLLP_ALLOW"), "{stderr}");
    assert!(stderr.contains("10.0.0.0/33"), "{stderr}");
}
