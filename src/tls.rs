//! Optional TLS for the HTTP and MLLP listeners (`REALDQ_TLS_CERT`, `REALDQ_TLS_KEY`).
//!
//! The certificate chain and private key are read once at start, from PEM files, into one
//! rustls server configuration (ring provider: no C build beyond ring's own). Both settings
//! or neither: half a configuration, or a file that cannot be read or parsed, stops the
//! service at start with the variable named, rather than silently serving plain text.
//! Error messages name the variable, the path and the kind of fault, never file contents.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::ring;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::config::TlsSettings;

/// The variable naming the certificate chain file.
pub const CERT_VARIABLE: &str = "REALDQ_TLS_CERT";
/// The variable naming the private key file.
pub const KEY_VARIABLE: &str = "REALDQ_TLS_KEY";

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// One of the two settings is set without the other.
    #[error("{set} is set but {missing} is not: TLS needs both (or neither)")]
    Incomplete {
        /// The variable that is set.
        set: &'static str,
        /// The variable that is missing.
        missing: &'static str,
    },
    /// A file cannot be read or holds no usable PEM item.
    #[error("{variable}={}: {cause}", path.display())]
    File {
        /// The variable naming the file.
        variable: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it (never its contents).
        cause: String,
    },
    /// The files are readable but rustls refuses them together (e.g. a key that does not
    /// match the certificate).
    #[error("{CERT_VARIABLE} and {KEY_VARIABLE} cannot be used together: {0}")]
    Config(#[from] rustls::Error),
}

/// The server configuration for both listeners, or `None` when TLS is off.
pub fn load(settings: &TlsSettings) -> Result<Option<ServerConfig>, TlsError> {
    let (cert, key) = match (&settings.tls_cert, &settings.tls_key) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(TlsError::Incomplete {
                set: CERT_VARIABLE,
                missing: KEY_VARIABLE,
            })
        }
        (None, Some(_)) => {
            return Err(TlsError::Incomplete {
                set: KEY_VARIABLE,
                missing: CERT_VARIABLE,
            })
        }
        (Some(cert), Some(key)) => (cert, key),
    };
    let chain = certificates(cert)?;
    let key = private_key(key)?;
    // The provider is named here rather than taken from the process default, so the
    // result never depends on which crypto backends other crates happen to enable.
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Some(config))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fault = |cause: String| TlsError::File {
        variable: CERT_VARIABLE,
        path: path.to_path_buf(),
        cause,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| fault(describe(&e, "certificate")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fault(describe(&e, "certificate")))?;
    if chain.is_empty() {
        return Err(fault(describe(&pem::Error::NoItemsFound, "certificate")));
    }
    Ok(chain)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::File {
        variable: KEY_VARIABLE,
        path: path.to_path_buf(),
        cause: describe(&e, "private key"),
    })
}

/// A PEM error in words. Some variants carry a line of the file, which for a key file
/// would be key material: those are summarised, never quoted.
fn describe(error: &pem::Error, what: &str) -> String {
    match error {
        pem::Error::Io(io) => io.to_string(),
        pem::Error::NoItemsFound => format!("no PEM {what} found in the file"),
        _ => format!("not a valid PEM {what} file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(cert: Option<&str>, key: Option<&str>) -> TlsSettings {
        TlsSettings {
            tls_cert: cert.map(PathBuf::from),
            tls_key: key.map(PathBuf::from),
        }
    }

    #[test]
    fn neither_setting_means_no_tls() {
        assert!(load(&settings(None, None)).unwrap().is_none());
    }

    #[test]
    fn half_a_configuration_names_both_variables() {
        let error = load(&settings(Some("c.pem"), None))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("REALDQ_TLS_CERT is set but REALDQ_TLS_KEY"),
            "{error}"
        );
        let error = load(&settings(None, Some("k.pem")))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("REALDQ_TLS_KEY is set but REALDQ_TLS_CERT"),
            "{error}"
        );
    }

    #[test]
    fn a_file_that_is_not_pem_is_named_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let bogus = dir.path().join("bogus.pem");
        std::fs::write(&bogus, "SECRET-NOT-PEM\n").unwrap();
        let bogus = bogus.to_str().unwrap();
        let error = load(&settings(Some(bogus), Some(bogus)))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("REALDQ_TLS_CERT="), "{error}");
        assert!(error.contains("no PEM certificate"), "{error}");
        assert!(!error.contains("SECRET"), "{error}");
    }
}
