//! Typed settings. Every setting has a default, a command-line flag and a `REALDQ_*`
//! environment variable; `real-dq serve --help` documents each. A bad value stops the
//! service at start with clap's message naming the flag and variable.

use clap::{Args, ValueEnum};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line (production).
    Json,
}

/// Settings of the database connection.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database: a SQLite file path (created if absent) or a postgres:// URL.
    #[arg(long, env = "REALDQ_DATABASE_URL", default_value = "real-dq.db")]
    pub database_url: String,

    /// Maximum pooled database connections (SQLite is capped at 8).
    #[arg(long, env = "REALDQ_DB_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub pool_size: u32,
}

/// Settings of the HTTP service.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Listen address; port 0 picks a free port. The bound address is printed at start.
    #[arg(long, env = "REALDQ_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Also serve `GET /metrics` without a key on this address (off by default), for a
    /// Prometheus scraper on a private network, e.g. 127.0.0.1:9464. Only `/metrics` is
    /// served there; on the main address it needs an admin key.
    #[arg(long, env = "REALDQ_METRICS_BIND")]
    pub metrics_bind: Option<String>,

    #[command(flatten)]
    pub database: DatabaseSettings,

    /// Largest accepted single record (and batch line), in bytes; larger gets 413.
    #[arg(long, env = "REALDQ_MAX_RECORD_BYTES", default_value_t = 256 * 1024)]
    pub max_record_bytes: usize,

    /// Largest accepted batch body, in bytes; larger gets 413.
    #[arg(long, env = "REALDQ_MAX_BATCH_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub max_batch_bytes: u64,

    /// Items (NDJSON lines, HL7 messages, FHIR resources) checked and committed per database
    /// transaction by the ingest pipeline (NDJSON chunks also end at 16 MiB).
    #[arg(long, env = "REALDQ_BATCH_CHUNK", default_value_t = DEFAULT_BATCH_CHUNK, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_chunk: u32,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "REALDQ_WORKERS")]
    pub workers: Option<usize>,

    /// Log format.
    #[arg(long, env = "REALDQ_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub profile: ProfileSettings,

    #[command(flatten)]
    pub access: AccessSettings,

    #[command(flatten)]
    pub hl7: Hl7Settings,

    #[command(flatten)]
    pub fhir: FhirArgs,

    #[command(flatten)]
    pub tls: TlsSettings,

    #[command(flatten)]
    pub alerts: AlertSettings,
}

/// Alerts' webhook.
#[derive(Debug, Clone, Default, Args)]
pub struct AlertSettings {
    /// POST a JSON event to this URL (http or https) each time a unit and domain pair
    /// crosses a warn or fail threshold, either way; retried with backoff while the
    /// receiver is down. Unset: no events (`GET /v1/alerts` still lists the pairs).
    /// (Never echoed or logged: such URLs often carry a token.)
    #[arg(long, env = "REALDQ_ALERT_WEBHOOK", hide_env_values = true)]
    pub alert_webhook: Option<String>,

    /// Sign each event with this secret: `X-RealDQ-Signature: sha256=<hex HMAC-SHA256 of
    /// the body>`.
    #[arg(long, env = "REALDQ_ALERT_WEBHOOK_SECRET", hide_env_values = true)]
    pub alert_webhook_secret: Option<String>,
}

impl AlertSettings {
    /// The webhook, when one is set. Checked here rather than by the argument parser,
    /// whose error would echo the value (and the token such URLs carry).
    pub fn webhook(&self) -> anyhow::Result<Option<crate::alerts::Webhook>> {
        let Some(text) = &self.alert_webhook else {
            return Ok(None);
        };
        let url = reqwest::Url::parse(text.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| {
                anyhow::anyhow!("REALDQ_ALERT_WEBHOOK must be an http:// or https:// URL")
            })?;
        Ok(Some(crate::alerts::Webhook {
            url: url.to_string(),
            secret: self.alert_webhook_secret.clone(),
        }))
    }
}

/// Optional TLS, for HTTP and MLLP alike (both variables, or neither).
#[derive(Debug, Clone, Default, Args)]
pub struct TlsSettings {
    /// TLS certificate chain, a PEM file. With REALDQ_TLS_KEY, HTTP serves HTTPS only and
    /// the MLLP listener (if on) accepts TLS only.
    #[arg(long, env = "REALDQ_TLS_CERT")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// TLS private key of REALDQ_TLS_CERT, a PEM file (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "REALDQ_TLS_KEY")]
    pub tls_key: Option<std::path::PathBuf>,
}

/// Keys and browsers.
#[derive(Debug, Clone, Default, Args)]
pub struct AccessSettings {
    /// The admin key to create when no active admin key exists (`rdq_` and at least 32
    /// letters, digits, `-` or `_`), for automated deployments. Unset: on first start with
    /// no keys at all, one is generated and printed once on standard output.
    /// (Checked at start, never echoed: a bad value's message names the variable only.)
    #[arg(long, env = "REALDQ_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,

    /// Browser origins allowed to call the API (comma-separated, e.g.
    /// `https://quality.example.org`); unset: no CORS headers, browsers on other origins
    /// are refused.
    #[arg(long, env = "REALDQ_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
}

fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or("an origin is http(s)://host[:port]")?;
    if rest.is_empty() || rest.contains('/') || text == "*" {
        return Err("an origin is http(s)://host[:port], without a path".into());
    }
    Ok(text.to_string())
}

/// How FHIR Patient resources map onto records (the service's and `real-dq report`'s).
#[derive(Debug, Clone, Args)]
pub struct FhirMapArgs {
    /// Identifier system whose value is the patient_id (default: the MR identifier, else
    /// the first identifier, else Patient.id).
    #[arg(long, env = "REALDQ_FHIR_IDENTIFIER_SYSTEM")]
    pub fhir_identifier_system: Option<String>,

    /// Where the unit is read when no X-Unit header is sent: `managingOrganization`, or
    /// `extension:<url>` for a valueString/valueCode extension on the Patient.
    #[arg(long, env = "REALDQ_FHIR_UNIT_SOURCE", default_value = "managingOrganization", value_parser = parse_unit_source)]
    pub fhir_unit_source: String,
}

/// How FHIR Patient resources map onto records, and how large a transaction may be.
#[derive(Debug, Clone, Args)]
pub struct FhirArgs {
    /// The mapping.
    #[command(flatten)]
    pub mapping: FhirMapArgs,

    /// Most entries in a `transaction` Bundle (413 beyond, before anything is judged): a
    /// transaction is stored in one database transaction, so all its records are held at
    /// once (about 4 KB each for a minimal Patient). Other Bundles are judged, stored and
    /// answered a chunk at a time and have no such limit.
    #[arg(long, env = "REALDQ_FHIR_MAX_TRANSACTION_ENTRIES", default_value_t = DEFAULT_MAX_TRANSACTION_ENTRIES, value_parser = clap::value_parser!(u32).range(1..))]
    pub fhir_max_transaction_entries: u32,
}

/// `REALDQ_BATCH_CHUNK`'s default. Measured: chunks of 250 made HL7 and FHIR ingest 30-60%
/// slower than 1,000 (more transactions, and on SQLite more writers waiting on each other);
/// 2,000 was as fast or faster again.
pub const DEFAULT_BATCH_CHUNK: u32 = 2000;

/// `REALDQ_FHIR_MAX_TRANSACTION_ENTRIES`'s default.
pub const DEFAULT_MAX_TRANSACTION_ENTRIES: u32 = 20_000;

fn parse_unit_source(text: &str) -> Result<String, String> {
    if text == "managingOrganization"
        || text
            .strip_prefix("extension:")
            .is_some_and(|url| !url.trim().is_empty())
    {
        Ok(text.to_string())
    } else {
        Err("expected `managingOrganization` or `extension:<url>`".into())
    }
}

impl Default for FhirMapArgs {
    fn default() -> Self {
        FhirMapArgs {
            fhir_identifier_system: None,
            fhir_unit_source: "managingOrganization".into(),
        }
    }
}

impl Default for FhirArgs {
    fn default() -> Self {
        FhirArgs {
            mapping: FhirMapArgs::default(),
            fhir_max_transaction_entries: DEFAULT_MAX_TRANSACTION_ENTRIES,
        }
    }
}

impl FhirMapArgs {
    /// The mapping settings; the default unit is shared with HL7 v2.
    pub fn map_settings(&self, default_unit: &str) -> crate::fhir::patient::FhirSettings {
        use crate::fhir::patient::UnitSource;
        let unit_source = match self.fhir_unit_source.strip_prefix("extension:") {
            Some(url) => UnitSource::Extension(url.to_string()),
            None => UnitSource::ManagingOrganization,
        };
        crate::fhir::patient::FhirSettings {
            identifier_system: self.fhir_identifier_system.clone(),
            unit_source,
            default_unit: default_unit.to_string(),
        }
    }
}

/// Where HL7 v2 messages and FHIR resources find their unit (the service's and
/// `real-dq report`'s).
#[derive(Debug, Clone, Args)]
pub struct UnitArgs {
    /// PV1-3 component that names the unit (1 point of care, 2 room, 4 facility, ...).
    #[arg(long, env = "REALDQ_HL7_UNIT_COMPONENT", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=11))]
    pub hl7_unit_component: u32,

    /// The unit of a record whose message or resource names none (HL7 PV1-3, FHIR).
    #[arg(long, env = "REALDQ_DEFAULT_UNIT", default_value = "UNASSIGNED")]
    pub hl7_default_unit: String,
}

impl Default for UnitArgs {
    fn default() -> Self {
        UnitArgs {
            hl7_unit_component: 1,
            hl7_default_unit: "UNASSIGNED".into(),
        }
    }
}

/// How HL7 v2 messages map onto records.
#[derive(Debug, Clone, Args)]
pub struct Hl7Settings {
    /// The unit.
    #[command(flatten)]
    pub units: UnitArgs,

    /// MSA-1 of a stored message with error findings: `AA` (the default: stored, with one
    /// ERR per finding) or `AE` (marks such messages failed at an interface engine that
    /// treats AE so; AE otherwise means "not stored, send again").
    #[arg(long, env = "REALDQ_HL7_ACK_ON_ERROR_FINDINGS", default_value = "AA", value_parser = parse_ack_code)]
    pub hl7_ack_on_error_findings: crate::hl7v2::ack::AckCode,

    /// Also listen for HL7 v2 over MLLP on this address (off by default), e.g. 127.0.0.1:2575.
    #[arg(long, env = "REALDQ_MLLP")]
    pub mllp: Option<String>,

    /// Peers allowed to connect over MLLP: comma-separated CIDRs or addresses, IPv4 or
    /// IPv6 (MLLP carries no credentials). Others are closed before anything is read.
    #[arg(long, env = "REALDQ_MLLP_ALLOW", default_value = crate::ingest::mllp::DEFAULT_ALLOW, value_parser = crate::ingest::mllp::AllowList::parse)]
    pub mllp_allow: crate::ingest::mllp::AllowList,
}

impl Hl7Settings {
    /// The mapping settings.
    pub fn map_settings(&self) -> crate::hl7v2::map::MapSettings {
        crate::hl7v2::map::MapSettings {
            ack_on_error_findings: self.hl7_ack_on_error_findings,
            ..self.units.map_settings()
        }
    }
}

impl UnitArgs {
    /// The HL7 v2 mapping settings (ACKs `AA` on error findings, the default).
    pub fn map_settings(&self) -> crate::hl7v2::map::MapSettings {
        crate::hl7v2::map::MapSettings {
            unit_component: self.hl7_unit_component as usize,
            default_unit: self.hl7_default_unit.clone(),
            ..crate::hl7v2::map::MapSettings::default()
        }
    }
}

/// `AA` or `AE`, for `REALDQ_HL7_ACK_ON_ERROR_FINDINGS`.
fn parse_ack_code(text: &str) -> Result<crate::hl7v2::ack::AckCode, String> {
    use crate::hl7v2::ack::AckCode;
    match text.trim().to_ascii_uppercase().as_str() {
        "AA" => Ok(AckCode::Accepted),
        "AE" => Ok(AckCode::Error),
        _ => Err(format!(
            "REALDQ_HL7_ACK_ON_ERROR_FINDINGS: `{text}` is neither AA nor AE"
        )),
    }
}

impl Default for Hl7Settings {
    fn default() -> Self {
        Hl7Settings {
            units: UnitArgs::default(),
            hl7_ack_on_error_findings: crate::hl7v2::ack::AckCode::Accepted,
            mllp: None,
            mllp_allow: crate::ingest::mllp::AllowList::default(),
        }
    }
}

/// Which validation profile to use.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileSettings {
    /// A profile document (JSON, schemas/profile.schema.json); default: the shipped phec-real.
    #[arg(long = "profile", env = "REALDQ_PROFILE")]
    pub path: Option<std::path::PathBuf>,
}

impl ProfileSettings {
    /// The profile to use: the file's, or the default.
    pub fn load(&self) -> Result<crate::profile::Profile, crate::profile::ProfileError> {
        match &self.path {
            Some(path) => crate::profile::Profile::load(path),
            None => Ok(crate::profile::Profile::phec_real()),
        }
    }
}

impl Settings {
    /// Settings for tests and tools: SQLite at `database_url`, bound to a free port.
    pub fn for_database(database_url: &str) -> Self {
        Settings {
            bind: "127.0.0.1:0".into(),
            metrics_bind: None,
            database: DatabaseSettings {
                database_url: database_url.into(),
                pool_size: 8,
            },
            max_record_bytes: 256 * 1024,
            max_batch_bytes: 1024 * 1024 * 1024,
            batch_chunk: DEFAULT_BATCH_CHUNK,
            workers: Some(2),
            log_format: LogFormat::Pretty,
            profile: ProfileSettings::default(),
            access: AccessSettings::default(),
            hl7: Hl7Settings::default(),
            fhir: FhirArgs::default(),
            tls: TlsSettings::default(),
            alerts: AlertSettings::default(),
        }
    }
}
