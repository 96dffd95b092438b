//! HL7 v2 over MLLP: framed messages in, framed ACKs out, many connections at once, bad
//! frames answered AR, and a listener that outlives any one connection.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Db, TestApp};

/// Runs an MLLP scenario on SQLite and on PostgreSQL (when configured).
macro_rules! both_mllp {
    ($name:ident, |$app:ident, $address:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let ($app, $address) = spawn(Db::Sqlite).await.unwrap();
                $body.await;
            }

            #[actix_web::test]
            async fn postgres() {
                let Some(($app, $address)) = spawn(Db::Postgres).await else {
                    eprintln!("REALDQ_TEST_POSTGRES_URL is not set: PostgreSQL run skipped");
                    return;
                };
                $body.await;
            }
        }
    };
}

fn adt(control: &str, patient: &str) -> String {
    format!(
        "MSH|^~\\&|EPIC|HOSP|REALDQ|REALDQ|20261120140300||ADT^A04^ADT_A01|{control}|P|2.5.1\r\
         PID|1||{patient}^^^HOSP^MR||DOE^JANE||20190402|F||2106-3^White^CDCREC~2028-9^Asian^CDCREC~2040-4^Korean^CDCREC|||||es^Spanish^HL70296|||||||N^Not Hispanic^HL70189\r\
         PV1|1|O|PEDS\r"
    )
}

fn framed(message: &str) -> Vec<u8> {
    let mut out = vec![0x0b];
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(&[0x1c, 0x0d]);
    out
}

/// Reads one framed answer.
async fn read_frame(stream: &mut TcpStream) -> String {
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

fn msa(ack: &str) -> (String, String) {
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

async fn spawn(db: Db) -> Option<(TestApp, SocketAddr)> {
    let app = TestApp::spawn_with(db, |s| s.hl7.mllp = Some("127.0.0.1:0".into())).await?;
    let address = app.mllp.expect("the MLLP listener is on");
    Some((app, address))
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
