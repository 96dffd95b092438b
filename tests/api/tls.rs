//! Optional TLS (`REALDQ_TLS_CERT`, `REALDQ_TLS_KEY`): with both set, HTTP is HTTPS only and
//! MLLP speaks TLS; half a configuration or an unreadable file stops the build with the
//! variable named. The certificate is generated at test time for 127.0.0.1.

use std::path::PathBuf;
use std::sync::Arc;

use real_dq::config::Settings;
use real_dq::profile::Profile;
use real_dq::startup::Application;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::helpers::{Db, TestApp};
use crate::mllp::{adt, framed, msa, read_frame};

/// A self-signed certificate for 127.0.0.1, its PEM and the files holding it and its key.
struct SelfSigned {
    cert_pem: String,
    cert: PathBuf,
    key: PathBuf,
    _dir: tempfile::TempDir,
}

fn self_signed() -> SelfSigned {
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("a certificate is generated");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let cert_pem = generated.cert.pem();
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    SelfSigned {
        cert_pem,
        cert,
        key,
        _dir: dir,
    }
}

/// An HTTPS client that trusts only `certs` and sends `key`.
fn https_client(certs: &SelfSigned, key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {key}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(certs.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

/// A TLS client for MLLP that trusts only `certs`.
fn mllp_connector(certs: &SelfSigned) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(certs.cert_pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Runs a TLS scenario on SQLite and on PostgreSQL (when configured).
macro_rules! both_tls {
    ($name:ident, |$app:ident, $certs:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(db: Db) {
                let $certs = self_signed();
                let $app = TestApp::builder(db)
                    .tls(&$certs.cert, &$certs.key)
                    .mllp()
                    .start()
                    .await;
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

both_tls!(
    https_answers_and_plain_http_is_refused,
    |app, certs| async move {
        let https = app.address.replacen("http://", "https://", 1);
        let response = https_client(&certs, &app.admin_key)
            .get(format!("{https}/healthz"))
            .send()
            .await
            .expect("the HTTPS request succeeds");
        assert_eq!(response.status().as_u16(), 200);
        // A record goes through over TLS like over plain HTTP.
        let record = crate::helpers::complete_record("TLS-1", "ED");
        let response = https_client(&certs, &app.admin_key)
            .post(format!("{https}/v1/records"))
            .header("content-type", "application/json")
            .body(record.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        // Plain HTTP on the same port gets no HTTP answer.
        let plain = app.client.get(app.url("/healthz")).send().await;
        assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");
    }
);

both_tls!(mllp_over_tls_is_acknowledged, |app, certs| async move {
    let address = app.mllp_address();
    let tcp = TcpStream::connect(address).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut stream = mllp_connector(&certs)
        .connect(name, tcp)
        .await
        .expect("the TLS handshake succeeds");
    stream
        .write_all(&framed(&adt("T1", "MLLP-TLS-1")))
        .await
        .unwrap();
    stream.flush().await.unwrap();
    let ack = read_frame(&mut stream).await;
    assert_eq!(msa(&ack), ("AA".into(), "T1".into()), "{ack}");
    let listed = get_json_tls(&app, "/v1/records?unit=PEDS", &certs).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
});

/// GETs `path` over HTTPS and parses JSON, asserting 200.
async fn get_json_tls(app: &TestApp, path: &str, certs: &SelfSigned) -> serde_json::Value {
    let url = app.url(path).replacen("http://", "https://", 1);
    let response = https_client(certs, &app.admin_key)
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// Builds the app with TLS settings over a throwaway SQLite file; the error's text.
fn build_error(cert: Option<PathBuf>, key: Option<PathBuf>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_database(dir.path().join("db.sqlite").to_str().unwrap());
    settings.tls.tls_cert = cert;
    settings.tls.tls_key = key;
    match Application::build(&settings, Profile::phec_real()) {
        Ok(_) => panic!("the app built with bad TLS settings"),
        Err(error) => error.to_string(),
    }
}

#[actix_web::test]
async fn a_missing_file_fails_the_build_naming_its_variable() {
    let certs = self_signed();
    let missing = certs.cert.with_file_name("absent.pem");
    let error = build_error(Some(missing.clone()), Some(certs.key.clone()));
    assert!(error.starts_with("REALDQ_TLS_CERT="), "{error}");
    assert!(error.contains("absent.pem"), "{error}");
    let error = build_error(Some(certs.cert.clone()), Some(missing));
    assert!(error.starts_with("REALDQ_TLS_KEY="), "{error}");
    // A key file holding a certificate only: named, and nothing of the file quoted.
    let error = build_error(Some(certs.cert.clone()), Some(certs.cert.clone()));
    assert!(error.starts_with("REALDQ_TLS_KEY="), "{error}");
    assert!(error.contains("no PEM private key"), "{error}");
    assert!(!error.contains("BEGIN"), "{error}");
}

#[actix_web::test]
async fn only_one_of_cert_and_key_fails_the_build() {
    let certs = self_signed();
    let error = build_error(Some(certs.cert.clone()), None);
    assert!(
        error.contains("REALDQ_TLS_CERT is set but REALDQ_TLS_KEY"),
        "{error}"
    );
    let error = build_error(None, Some(certs.key.clone()));
    assert!(
        error.contains("REALDQ_TLS_KEY is set but REALDQ_TLS_CERT"),
        "{error}"
    );
}

#[actix_web::test]
async fn a_key_that_does_not_match_the_certificate_fails_the_build() {
    let (one, other) = (self_signed(), self_signed());
    let error = build_error(Some(one.cert.clone()), Some(other.key.clone()));
    assert!(
        error.contains("REALDQ_TLS_CERT and REALDQ_TLS_KEY"),
        "{error}"
    );
}
