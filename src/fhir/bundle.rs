//! A Bundle read in one pass into the typed model ([`super::model`]): each entry's
//! resource with the links between entries (a RelatedPerson's `patient.reference` to a
//! Patient's `fullUrl` or `Patient/{id}`). Anything oddly shaped (an entry that is not an
//! object, an `entry` that is not an array) is kept as an empty entry, not rejected.

use std::collections::HashMap;

use super::model::{self, Resource};

/// Why a body is not a Bundle to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Not JSON (400).
    NotJson(String),
    /// JSON, but not a Bundle (422).
    NotABundle,
}

/// One entry: its resource.
#[derive(Debug, Clone, Default)]
pub struct BundleEntry {
    /// The resource (empty when absent).
    pub resource: Resource,
}

impl BundleEntry {
    /// `resource.resourceType` (empty when absent or not a string).
    pub fn kind(&self) -> &str {
        self.resource.resource_type.get().unwrap_or("")
    }
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
        let document: model::Bundle =
            model::read(body).map_err(|model::NotJson(why)| BundleError::NotJson(why))?;
        if document.resource_type.get() != Some("Bundle") {
            return Err(BundleError::NotABundle);
        }
        let mut bundle = ParsedBundle {
            kind: document.kind.0.unwrap_or_default(),
            ..ParsedBundle::default()
        };
        let mut patients: HashMap<String, usize> = HashMap::new();
        let mut references: Vec<(usize, String)> = Vec::new();
        for (index, entry) in document.entry.0.into_iter().enumerate() {
            let entry = entry.0;
            let entry_of = BundleEntry {
                resource: entry.resource.map(|r| r.0).unwrap_or_default(),
            };
            let resource = &entry_of.resource;
            let kind = entry_of.kind();
            if kind == "Patient" {
                if let Some(url) = entry.full_url.0 {
                    patients.insert(url, index);
                }
                if let Some(id) = resource.id.get() {
                    patients.insert(format!("Patient/{id}"), index);
                }
            }
            if kind == "RelatedPerson" {
                if let Some(reference) = super::patient::related_patient(resource) {
                    references.push((index, reference.to_string()));
                }
            }
            bundle.entries.push(entry_of);
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
        assert_eq!(bundle.entries[4].kind(), "");
        assert_eq!(bundle.entries[5].kind(), "Observation");
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
