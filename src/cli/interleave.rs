//! `real-dq interleave`: a Bulk Data `$export` writes Patients and RelatedPersons to
//! separate files (`Patient.000.ndjson`, `RelatedPerson.000.ndjson`); `$import` reads a
//! Patient's RelatedPersons on the lines right after it. This writes the Patient files
//! with each Patient followed by the RelatedPersons that name it, ready for `$import`.
//!
//! The RelatedPerson files are held in memory (keyed by the Patient id they name); the
//! Patient files are streamed. A RelatedPerson line whose Patient is on no line, or that
//! names none, is written at the end, where `$import` answers it 422: no line is lost.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use crate::fhir::model::{self, Resource};

/// Arguments of `interleave`.
#[derive(Debug, clap::Args)]
pub struct InterleaveArgs {
    /// A RelatedPerson NDJSON file of the export (repeat for several).
    #[arg(long = "related", value_name = "FILE", required = true)]
    pub related: Vec<std::path::PathBuf>,
    /// The Patient NDJSON files of the export, in order.
    #[arg(value_name = "PATIENT_FILE", required = true)]
    pub patients: Vec<std::path::PathBuf>,
}

/// What was written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Interleaved {
    /// Patient (and other) lines copied.
    pub lines: u64,
    /// RelatedPerson lines written after their Patient.
    pub placed: u64,
    /// RelatedPerson lines written at the end: no Patient line names them.
    pub left: u64,
}

/// The Patient id a RelatedPerson line names (`Patient/{id}`, or a URL ending so).
fn named_patient(line: &str) -> Option<String> {
    let person: Resource = model::read(line.as_bytes()).ok()?;
    let reference = crate::fhir::patient::related_patient(&person)?;
    crate::fhir::patient::referenced_patient_id(reference).map(str::to_string)
}

/// The id of a Patient line (`None` for any other line).
fn patient_id(line: &str) -> Option<String> {
    let resource: Resource = model::read(line.as_bytes()).ok()?;
    if resource.resource_type.get() != Some("Patient") {
        return None;
    }
    resource.id.get().map(str::to_string)
}

/// Interleaves: reads every RelatedPerson line of `related`, then copies `patients` to
/// `out`, each Patient line followed by the RelatedPerson lines that name it (in their
/// order), and the rest of the RelatedPerson lines at the end.
pub fn interleave(
    related: &mut dyn Iterator<Item = std::io::Result<String>>,
    patients: &mut dyn Iterator<Item = std::io::Result<String>>,
    out: &mut dyn Write,
) -> std::io::Result<Interleaved> {
    let mut by_patient: HashMap<String, Vec<String>> = HashMap::new();
    let mut unnamed: Vec<String> = Vec::new();
    for line in related {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match named_patient(&line) {
            Some(id) => by_patient.entry(id).or_default().push(line),
            None => unnamed.push(line),
        }
    }
    let mut done = Interleaved::default();
    for line in patients {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{line}")?;
        done.lines += 1;
        if let Some(people) = patient_id(&line).and_then(|id| by_patient.remove(&id)) {
            for person in people {
                writeln!(out, "{person}")?;
                done.placed += 1;
            }
        }
    }
    // Whatever no Patient line claimed, in a stable order.
    let mut rest: Vec<(String, Vec<String>)> = by_patient.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for person in rest
        .into_iter()
        .flat_map(|(_, people)| people)
        .chain(unnamed)
    {
        writeln!(out, "{person}")?;
        done.left += 1;
    }
    Ok(done)
}

fn lines_of(
    paths: &[std::path::PathBuf],
) -> anyhow::Result<impl Iterator<Item = std::io::Result<String>>> {
    let mut files = Vec::new();
    for path in paths {
        let file = std::fs::File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        files.push(std::io::BufReader::new(file).lines());
    }
    Ok(files.into_iter().flatten())
}

/// Runs `interleave`: writes to standard output, counts to standard error.
pub fn run(args: InterleaveArgs) -> anyhow::Result<i32> {
    let mut related = lines_of(&args.related)?;
    let mut patients = lines_of(&args.patients)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let done = interleave(&mut related, &mut patients, &mut out)?;
    out.flush()?;
    eprintln!(
        "real-dq interleave: {} Patient file lines; {} RelatedPerson lines placed after their Patient; {} at the end (no Patient line names them: $import answers them 422)",
        done.lines, done.placed, done.left
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<std::io::Result<String>> {
        text.lines().map(|l| Ok(l.to_string())).collect()
    }

    #[test]
    fn each_patient_is_followed_by_the_related_persons_that_name_it() {
        let related = concat!(
            r#"{"resourceType":"RelatedPerson","id":"r1","patient":{"reference":"Patient/b"}}"#,
            "\n",
            r#"{"resourceType":"RelatedPerson","id":"r2","patient":{"reference":"https://ehr/fhir/Patient/a"}}"#,
            "\n\n",
            r#"{"resourceType":"RelatedPerson","id":"r3","patient":{"reference":"Patient/b"}}"#,
            "\n",
            r#"{"resourceType":"RelatedPerson","id":"r4","patient":{"reference":"Patient/z"}}"#,
            "\n",
            r#"{"resourceType":"RelatedPerson","id":"r5"}"#,
            "\n",
            "not json\n",
        );
        let patients = concat!(
            r#"{"resourceType":"Patient","id":"a"}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"b"}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"c"}"#,
            "\n",
        );
        let mut out = Vec::new();
        let done = interleave(
            &mut lines(related).into_iter(),
            &mut lines(patients).into_iter(),
            &mut out,
        )
        .unwrap();
        let ids: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .map(|v| v["id"].as_str().unwrap_or("?").to_string())
                    .unwrap_or_else(|_| l.to_string())
            })
            .collect();
        assert_eq!(
            ids,
            ["a", "r2", "b", "r1", "r3", "c", "r4", "r5", "not json"]
        );
        assert_eq!(
            done,
            Interleaved {
                lines: 3,
                placed: 3,
                left: 3
            }
        );
    }
}
