//! `real-dq keys create|list|revoke` and `real-dq purge`: administration on the store
//! directly, for the operator on the server. Each change is audited like its HTTP twin.

use chrono::Utc;
use clap::Subcommand;

use crate::api::keys::{new_key, KeySummary};
use crate::config::DatabaseSettings;
use crate::store::audit::{Action, AuditEntry};
use crate::store::{self, keys};

/// What `keys` does.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it, this once (only its SHA-256 is stored).
    Create {
        /// Who holds it (unique; it names the key in the audit log and is the default
        /// `source` of FHIR and HL7 messages it posts).
        #[arg(long)]
        name: String,
        /// ingest, feedback, report or admin.
        #[arg(long)]
        role: String,
        /// Limit the key to these units (comma-separated); default: every unit.
        #[arg(long, value_delimiter = ',')]
        units: Vec<String>,
        /// When it stops working: a date (00:00 UTC that day) or an RFC 3339 instant.
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// List keys: name, role, units, created, expires, last used, revoked.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Revoke a key by name (within 5 s in a running service).
    Revoke {
        /// The key's name.
        name: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

fn cli_entry(action: Action, route: &str, status: u16) -> AuditEntry {
    AuditEntry {
        key_name: None,
        role: None,
        action,
        route: route.into(),
        status,
        units: Vec::new(),
        record_count: 0,
        record_ids: Vec::new(),
        peer: None,
        target: None,
    }
}

impl KeysCommand {
    fn database(&self) -> &DatabaseSettings {
        match self {
            KeysCommand::Create { database, .. }
            | KeysCommand::List { database, .. }
            | KeysCommand::Revoke { database, .. } => database,
        }
    }
}

/// Runs a `keys` command; the exit code.
pub fn run(command: KeysCommand) -> anyhow::Result<i32> {
    let pool = store::open(&command.database().database_url, 1)?;
    let mut conn = pool.get()?;
    let now = Utc::now().timestamp_micros();
    match command {
        KeysCommand::Create {
            name,
            role,
            units,
            expires,
            ..
        } => {
            let (secret, new) = new_key(&name, &role, units, expires.as_deref())
                .map_err(|e| anyhow::anyhow!(describe(&e)))?;
            let audit = AuditEntry {
                target: Some(name.clone()),
                ..cli_entry(Action::Create, "CLI keys create", 201)
            };
            keys::create(&mut conn, &new, &audit, now)
                .map_err(|e| anyhow::Error::new(e).context("cannot create the key"))?;
            println!("{secret}");
            eprintln!("key `{name}` ({role}) created; it is shown this once");
        }
        KeysCommand::List { json, .. } => {
            let rows = keys::list(&mut conn)?;
            let summaries: Vec<KeySummary> =
                rows.iter().map(|row| KeySummary::of(row, now)).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&summaries)?);
            } else {
                println!(
                    "{:<24} {:<9} {:<20} {:<28} {:<28} {:<28} REVOKED",
                    "NAME", "ROLE", "UNITS", "CREATED", "EXPIRES", "LAST USED"
                );
                let or_dash = |time: &Option<String>| time.clone().unwrap_or_else(|| "-".into());
                for key in &summaries {
                    let units = if key.units.is_empty() {
                        "(all)".to_string()
                    } else {
                        key.units.join(",")
                    };
                    println!(
                        "{:<24} {:<9} {:<20} {:<28} {:<28} {:<28} {}",
                        key.name,
                        key.role,
                        units,
                        key.created_at,
                        or_dash(&key.expires_at),
                        or_dash(&key.last_used_at),
                        or_dash(&key.revoked_at),
                    );
                }
            }
        }
        KeysCommand::Revoke { name, .. } => {
            let audit = AuditEntry {
                target: Some(name.clone()),
                ..cli_entry(Action::Update, "CLI keys revoke", 200)
            };
            match keys::revoke(&mut conn, &name, &audit, now) {
                Ok(_) => println!("key `{name}` revoked"),
                Err(store::StoreError::NotFound) => {
                    eprintln!("no key named `{name}`");
                    return Ok(1);
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(0)
}

fn describe(error: &crate::api::ApiError) -> String {
    let body = error.body();
    let fields: Vec<String> = body
        .details
        .iter()
        .map(|d| format!("--{}: {}", d.path, d.message))
        .collect();
    if fields.is_empty() {
        body.message
    } else {
        fields.join("; ")
    }
}

/// `real-dq purge`: removes history rows (and, separately, audit rows) older than a date.
pub fn purge(
    before: Option<&str>,
    audit_before: Option<&str>,
    dry_run: bool,
    database: &DatabaseSettings,
) -> anyhow::Result<i32> {
    let instant = |flag: &str, text: &str| {
        crate::access::parse_expiry(text)
            .map(|t| t.timestamp_micros())
            .map_err(|why| anyhow::anyhow!("--{flag}: {why}"))
    };
    if before.is_none() && audit_before.is_none() {
        anyhow::bail!("give --before DATE (history) and/or --audit-before DATE (audit rows)");
    }
    let pool = store::open(&database.database_url, 1)?;
    let mut conn = pool.get()?;
    let now = Utc::now().timestamp_micros();
    let verb = if dry_run { "would remove" } else { "removed" };
    if let Some(text) = before {
        let cutoff = instant("before", text)?;
        let audit = cli_entry(Action::Delete, "CLI purge history", 200);
        let removed = store::purge::history(&mut conn, cutoff, dry_run, &audit, now)?;
        println!("{verb} {removed} history records recorded before {text} (current states kept)");
    }
    if let Some(text) = audit_before {
        let cutoff = instant("audit-before", text)?;
        let audit = cli_entry(Action::Delete, "CLI purge audit", 200);
        let removed = store::purge::audit_rows(&mut conn, cutoff, dry_run, &audit, now)?;
        println!("{verb} {removed} audit rows written before {text}");
    }
    Ok(0)
}
