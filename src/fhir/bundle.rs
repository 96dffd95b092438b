//! A Bundle read without a JSON tree: a quick typed scan keeps each entry's resource as raw
//! JSON text with the few header elements needed to link entries (type, id, fullUrl,
//! `patient.reference`); a resource is parsed in full only when its chunk is judged, in the
//! judging stage, so parsing overlaps with storing. Anything oddly shaped (an entry that is
//! not an object, an `entry` that is not an array) is kept as an empty entry, not rejected.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// Why a body is not a Bundle to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Not JSON (400).
    NotJson(String),
    /// JSON, but not a Bundle (422).
    NotABundle,
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "resourceType", default, borrow)]
    resource_type: Option<&'a RawValue>,
    #[serde(rename = "type", default, borrow)]
    kind: Option<&'a RawValue>,
    #[serde(default, borrow)]
    entry: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct EntryHead<'a> {
    #[serde(rename = "fullUrl", default, borrow)]
    full_url: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    resource: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct ResourceHead<'a> {
    #[serde(rename = "resourceType", default, borrow)]
    resource_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    patient: Option<Reference<'a>>,
}

#[derive(Deserialize, Default)]
struct Reference<'a> {
    #[serde(default, borrow)]
    reference: Option<std::borrow::Cow<'a, str>>,
}

fn as_text(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|r| serde_json::from_str::<String>(r.get()).ok())
}

/// One entry: its resource type and raw resource.
#[derive(Debug, Clone, Default)]
pub struct BundleEntry {
    /// `resource.resourceType` (empty when absent or not a string).
    pub kind: String,
    /// The resource as JSON text (`null` when absent).
    pub resource: String,
}

/// A Bundle's entries and their links.
#[derive(Debug, Default)]
pub struct ParsedBundle {
    /// `Bundle.type`.
    pub kind: String,
    /// The entries, in order.
    pub entries: Vec<BundleEntry>,
    /// RelatedPerson entry index → its Patient's entry index.
    pub owner: HashMap<usize, usize>,
    /// Patient entry index → its RelatedPerson entry indexes.
    pub related: HashMap<usize, Vec<usize>>,
}

impl ParsedBundle {
    /// Reads a Bundle body.
    pub fn parse(body: &[u8]) -> Result<ParsedBundle, BundleError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| BundleError::NotJson("the body is not UTF-8".into()))?;
        // Syntax first, with the position of the first error.
        let top: Top<'_> = match serde_json::from_str(text) {
            Ok(top) => top,
            Err(error) if error.is_data() => return Err(BundleError::NotABundle),
            Err(error) => {
                return Err(BundleError::NotJson(format!(
                    "the body is not JSON (line {} column {})",
                    error.line(),
                    error.column()
                )))
            }
        };
        if as_text(top.resource_type).as_deref() != Some("Bundle") {
            return Err(BundleError::NotABundle);
        }
        let raw_entries: Vec<&RawValue> = top
            .entry
            .and_then(|e| serde_json::from_str(e.get()).ok())
            .unwrap_or_default();
        let mut bundle = ParsedBundle {
            kind: as_text(top.kind).unwrap_or_default(),
            ..ParsedBundle::default()
        };
        let mut patients: HashMap<String, usize> = HashMap::new();
        let mut references: Vec<(usize, String)> = Vec::new();
        for (index, raw) in raw_entries.iter().enumerate() {
            let head: EntryHead<'_> = serde_json::from_str(raw.get()).unwrap_or_default();
            let resource_head: ResourceHead<'_> = head
                .resource
                .and_then(|r| serde_json::from_str(r.get()).ok())
                .unwrap_or_default();
            let kind = resource_head
                .resource_type
                .as_deref()
                .unwrap_or("")
                .to_string();
            if kind == "Patient" {
                if let Some(url) = &head.full_url {
                    patients.insert(url.to_string(), index);
                }
                if let Some(id) = &resource_head.id {
                    patients.insert(format!("Patient/{id}"), index);
                }
            }
            if kind == "RelatedPerson" {
                if let Some(reference) = resource_head.patient.and_then(|p| p.reference) {
                    references.push((index, reference.to_string()));
                }
            }
            bundle.entries.push(BundleEntry {
                kind,
                resource: head.resource.map_or("null".into(), |r| r.get().to_string()),
            });
        }
        for (index, reference) in references {
            let owner = patients.get(&reference).or_else(|| {
                // An absolute reference (`https://host/fhir/Patient/7`) names `Patient/7`.
                let at = reference.rfind("Patient/")?;
                patients.get(&reference[at..])
            });
            if let Some(owner) = owner.copied() {
                bundle.owner.insert(index, owner);
                bundle.related.entry(owner).or_default().push(index);
            }
        }
        Ok(bundle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_linked_by_id_full_url_and_absolute_reference() {
        let body = br#"{"resourceType":"Bundle","type":"batch","entry":[
            {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","id":"p1"}},
            {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"urn:uuid:a"}}},
            {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"https://x/fhir/Patient/p1"}}},
            {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"Patient/none"}}},
            7,
            {"resource":{"resourceType":"Observation"}}
        ]}"#;
        let bundle = ParsedBundle::parse(body).unwrap();
        assert_eq!(bundle.kind, "batch");
        assert_eq!(bundle.entries.len(), 6);
        assert_eq!(bundle.owner.get(&1), Some(&0));
        assert_eq!(bundle.owner.get(&2), Some(&0));
        assert_eq!(bundle.owner.get(&3), None);
        assert_eq!(bundle.related.get(&0), Some(&vec![1, 2]));
        assert_eq!(bundle.entries[4].kind, "");
        assert_eq!(bundle.entries[5].kind, "Observation");
    }

    #[test]
    fn what_is_not_a_bundle_is_told_apart_from_what_is_not_json() {
        assert!(matches!(
            ParsedBundle::parse(b"{oops"),
            Err(BundleError::NotJson(_))
        ));
        assert!(matches!(
            ParsedBundle::parse(b"\xff\xfe"),
            Err(BundleError::NotJson(_))
        ));
        assert_eq!(
            ParsedBundle::parse(br#"{"resourceType":"Patient"}"#).unwrap_err(),
            BundleError::NotABundle
        );
        assert_eq!(
            ParsedBundle::parse(b"[1,2]").unwrap_err(),
            BundleError::NotABundle
        );
        let odd = ParsedBundle::parse(br#"{"resourceType":"Bundle","entry":{"x":1}}"#).unwrap();
        assert!(odd.entries.is_empty());
    }
}
