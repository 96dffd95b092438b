//! Ingest throughput by wire format: the same N synthetic records sent as canonical NDJSON
//! batches, as HL7 v2 ADT^A08 messages (`POST /hl7v2`) and as FHIR Bundles of US Core
//! Patients with RelatedPerson caregivers (`POST /fhir`), in requests of `--per-request`
//! records, `--connections` at a time, each format into a fresh database.
//!
//! ```text
//! cargo run --release --example ingest_formats -- [--records 20000] [--per-request 500] [--connections 2] [--only json|hl7|fhir]
//! ```
//! Figures are in the README.

use std::time::Instant;

use real_dq::config::Settings;
use real_dq::profile::Profile;
use real_dq::record::wire::{CodedAnswer, LanguageWire, NullFlavor};
use real_dq::record::RecordWire;
use real_dq::startup::Application;
use real_dq::synthetic::Generator;
use serde_json::{json, Value};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone, Copy, Debug)]
enum Format {
    Json,
    Hl7,
    Fhir,
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn hl7_time(rfc3339: &str) -> String {
    let digits: String = rfc3339
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    format!("{digits}+0000")
}

fn hl7_codes(answer: Option<&CodedAnswer>) -> String {
    let Some(answer) = answer else {
        return String::new();
    };
    if let Some(null) = answer.null_flavor {
        return match null {
            NullFlavor::Asku => "ASKU^Declined^NULLFL",
            NullFlavor::Unk => "UNK^Unknown^NULLFL",
            NullFlavor::Nask => "NASK^Not asked^NULLFL",
        }
        .into();
    }
    answer
        .codes
        .iter()
        .map(|c| {
            format!(
                "{}^{}^CDCREC",
                c.code,
                c.display.clone().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("~")
}

fn hl7_language(language: Option<&LanguageWire>) -> String {
    language
        .and_then(|l| l.preferred.clone())
        .map(|tag| format!("{tag}^^HL70296"))
        .unwrap_or_default()
}

fn segment(id: &str, fields: &[(usize, String)]) -> String {
    let last = fields.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let mut values = vec![String::new(); last + 1];
    values[0] = id.to_string();
    for (n, value) in fields {
        values[*n] = value.clone();
    }
    values.join("|")
}

fn to_hl7(record: &RecordWire, index: usize) -> String {
    let time = hl7_time(record.recorded_at.as_deref().unwrap_or(""));
    let mut out = format!(
        "MSH|^~\\&|{}|SYNTH|REALDQ|REALDQ|{time}||ADT^A08^ADT_A01|M{index}|P|2.5.1\rEVN|A08|{time}\r",
        record.source.as_deref().unwrap_or("")
    );
    out.push_str(&segment(
        "PID",
        &[
            (1, "1".into()),
            (
                3,
                format!("{}^^^SYNTH^MR", record.patient_id.as_deref().unwrap_or("")),
            ),
            (
                7,
                record
                    .birth_date
                    .clone()
                    .unwrap_or_default()
                    .replace('-', ""),
            ),
            (10, hl7_codes(record.race.as_ref())),
            (15, hl7_language(record.language.as_ref())),
            (22, hl7_codes(record.ethnicity.as_ref())),
        ],
    ));
    out.push('\r');
    for (k, caregiver) in record.caregivers.iter().flatten().enumerate() {
        out.push_str(&segment(
            "NK1",
            &[
                (1, (k + 1).to_string()),
                (3, caregiver.relationship.clone().unwrap_or_default()),
                (20, hl7_language(caregiver.language.as_ref())),
            ],
        ));
        out.push('\r');
    }
    out.push_str(&format!(
        "PV1|1|O|{}\r",
        record.unit.as_deref().unwrap_or("")
    ));
    out
}

fn fhir_coded(url: &str, answer: Option<&CodedAnswer>) -> Option<Value> {
    let answer = answer?;
    let mut parts: Vec<Value> = answer
        .codes
        .iter()
        .map(|c| json!({"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": c.code, "display": c.display}}))
        .collect();
    if let Some(null) = answer.null_flavor {
        let code = match null {
            NullFlavor::Asku => "ASKU",
            NullFlavor::Unk => "UNK",
            NullFlavor::Nask => "NASK",
        };
        parts.push(json!({"url": "ombCategory", "valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": code}}));
    }
    Some(json!({"url": url, "extension": parts}))
}

fn fhir_language(language: Option<&LanguageWire>) -> Vec<Value> {
    language
        .and_then(|l| l.preferred.clone())
        .map(|tag| vec![json!({"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": tag}]}, "preferred": true})])
        .unwrap_or_default()
}

fn to_fhir(record: &RecordWire, index: usize, entries: &mut Vec<Value>) {
    let id = format!("p{index}");
    let mut extensions: Vec<Value> = [
        fhir_coded(
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
            record.race.as_ref(),
        ),
        fhir_coded(
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
            record.ethnicity.as_ref(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(need) = record.language.as_ref().and_then(|l| l.interpreter_needed) {
        extensions.push(json!({"url": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired", "valueBoolean": need}));
    }
    entries.push(json!({"fullUrl": format!("urn:uuid:{id}"), "resource": {
        "resourceType": "Patient",
        "id": id,
        "meta": {"lastUpdated": record.recorded_at, "source": record.source},
        "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": record.patient_id}],
        "birthDate": record.birth_date,
        "managingOrganization": {"display": record.unit},
        "extension": extensions,
        "communication": fhir_language(record.language.as_ref()),
    }}));
    for caregiver in record.caregivers.iter().flatten() {
        entries.push(json!({"resource": {
            "resourceType": "RelatedPerson",
            "patient": {"reference": format!("Patient/{id}")},
            "relationship": [{"coding": [{"code": caregiver.relationship}]}],
            "communication": fhir_language(caregiver.language.as_ref()),
        }}));
    }
}

fn bodies(format: Format, records: &[RecordWire], per_request: usize) -> Vec<String> {
    records
        .chunks(per_request)
        .enumerate()
        .map(|(chunk, group)| match format {
            Format::Json => group
                .iter()
                .map(|r| serde_json::to_string(r).unwrap() + "\n")
                .collect(),
            Format::Hl7 => group
                .iter()
                .enumerate()
                .map(|(i, r)| to_hl7(r, chunk * per_request + i))
                .collect(),
            Format::Fhir => {
                let mut entries = Vec::new();
                for (i, r) in group.iter().enumerate() {
                    to_fhir(r, chunk * per_request + i, &mut entries);
                }
                json!({"resourceType": "Bundle", "type": "batch", "entry": entries}).to_string()
            }
        })
        .collect()
}

async fn run(format: Format, records: &[RecordWire], per_request: usize, connections: usize) {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("formats.db").display().to_string();
    let mut settings = Settings::for_database(&database);
    settings.workers = None;
    let app = Application::build(&settings, Profile::phec_real()).expect("service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run());
    let (path, content_type, marker) = match format {
        Format::Json => ("/v1/records/batch", "application/x-ndjson", "\"status\":"),
        Format::Hl7 => ("/hl7v2", "x-application/hl7-v2+er7", "MSA|"),
        Format::Fhir => ("/fhir", "application/fhir+json", "\"location\":"),
    };
    let bodies = bodies(format, records, per_request);
    let bytes: usize = bodies.iter().map(String::len).sum();
    let client = reqwest::Client::new();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, queue, url) = (client.clone(), queue.clone(), format!("{base}{path}"));
        tasks.push(actix_web::rt::spawn(async move {
            let mut answered = 0usize;
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    return answered;
                };
                let text = client
                    .post(&url)
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .expect("request")
                    .text()
                    .await
                    .expect("answer");
                answered += text.matches(marker).count();
            }
        }));
    }
    let mut answered = 0;
    for task in tasks {
        answered += task.await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "{format:?}: {answered} of {} records answered in {elapsed:.2?} = {:.0} records/s ({:.1} MB sent)",
        records.len(),
        records.len() as f64 / elapsed.as_secs_f64(),
        bytes as f64 / 1e6
    );
}

#[actix_web::main]
async fn main() {
    let count = arg("--records", 20_000);
    let per_request = arg("--per-request", 500);
    let connections = arg("--connections", 2);
    let mut generator = Generator::new(2026);
    let records: Vec<RecordWire> = (0..count as u64)
        .map(|i| serde_json::from_value(generator.record(i)).expect("synthetic records parse"))
        .collect();
    println!(
        "{count} records, {per_request} per request, {connections} connections, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let only: Option<String> = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .map(|f| f.to_ascii_lowercase());
    for format in [Format::Json, Format::Hl7, Format::Fhir] {
        if only
            .as_deref()
            .is_some_and(|o| o != format!("{format:?}").to_ascii_lowercase())
        {
            continue;
        }
        run(format, &records, per_request, connections).await;
    }
}
