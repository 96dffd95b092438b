//! The FHIR R4 elements real-dq reads, as lenient typed structs (see [`super::lenient`]):
//! a Patient, a RelatedPerson, a `Parameters` wrapper and a Bundle. Every other element is
//! skipped without being built. One parse from text; a document the fast parse cannot
//! take (a key given twice in one object) is read through a JSON tree instead, where the
//! last value of a repeated key wins, as everywhere else in real-dq.

use serde::de::DeserializeOwned;
use serde::Deserialize;

pub use super::lenient::{Flag, List, Node, Text};

/// A resource: the union of the Patient, RelatedPerson and Parameters elements mapped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Resource {
    /// `resourceType`.
    #[serde(rename = "resourceType")]
    pub resource_type: Text,
    /// `id`.
    pub id: Text,
    /// `meta`.
    pub meta: Node<Meta>,
    /// `identifier`.
    pub identifier: List<Node<Identifier>>,
    /// `birthDate`.
    #[serde(rename = "birthDate")]
    pub birth_date: Text,
    /// `managingOrganization`.
    #[serde(rename = "managingOrganization")]
    pub managing_organization: Node<Reference>,
    /// `extension`.
    pub extension: List<Node<Extension>>,
    /// `communication`.
    pub communication: List<Node<Communication>>,
    /// `RelatedPerson.relationship`.
    pub relationship: List<Node<CodeableConcept>>,
    /// `RelatedPerson.patient`.
    pub patient: Node<Reference>,
    /// `Parameters.parameter`.
    pub parameter: List<Node<Parameter>>,
}

impl Resource {
    /// The extension with this URL, if any (the first).
    pub fn extension(&self, url: &str) -> Option<&Extension> {
        find_extension(&self.extension, url)
    }

    /// `$validate`'s resource: a `Parameters` resource's `resource` parameter, else itself.
    pub fn unwrap_parameters(self) -> Resource {
        if self.resource_type.get() != Some("Parameters") {
            return self;
        }
        let wrapped = self
            .parameter
            .iter()
            .find(|p| p.name.get() == Some("resource"))
            .and_then(|p| p.resource.as_deref())
            .map(|r| r.0.clone());
        wrapped.unwrap_or(self)
    }
}

fn find_extension<'a>(extensions: &'a [Node<Extension>], url: &str) -> Option<&'a Extension> {
    extensions
        .iter()
        .map(|e| &e.0)
        .find(|e| e.url.get() == Some(url))
}

/// `Resource.meta`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    /// `meta.source`.
    pub source: Text,
    /// `meta.lastUpdated`.
    #[serde(rename = "lastUpdated")]
    pub last_updated: Text,
}

/// An `Identifier`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Identifier {
    /// `system`.
    pub system: Text,
    /// `value`.
    pub value: Text,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: Node<CodeableConcept>,
}

/// A `Reference`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Reference {
    /// `reference`.
    pub reference: Text,
    /// `display`.
    pub display: Text,
    /// `identifier`.
    pub identifier: Node<Identifier>,
}

/// A `CodeableConcept`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CodeableConcept {
    /// `coding`.
    pub coding: List<Node<Coding>>,
    /// `text`.
    pub text: Text,
}

/// A `Coding`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Coding {
    /// `system`.
    pub system: Text,
    /// `code`.
    pub code: Text,
    /// `display`.
    pub display: Text,
}

/// An `Extension`, with the value types real-dq reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Extension {
    /// `url`.
    pub url: Text,
    /// Nested `extension` (complex extensions such as us-core-race).
    pub extension: List<Node<Extension>>,
    /// `valueCoding`: `None` when absent (or `null`); any other shape reads as an empty
    /// Coding, which the rules then report.
    #[serde(rename = "valueCoding")]
    pub value_coding: Option<Node<Coding>>,
    /// `valueString`.
    #[serde(rename = "valueString")]
    pub value_string: Text,
    /// `valueCode`.
    #[serde(rename = "valueCode")]
    pub value_code: Text,
    /// `valueBoolean`.
    #[serde(rename = "valueBoolean")]
    pub value_boolean: Flag,
}

impl Extension {
    /// The nested extension with this URL, if any (the first).
    pub fn extension(&self, url: &str) -> Option<&Extension> {
        find_extension(&self.extension, url)
    }
}

/// `Patient.communication` / `RelatedPerson.communication`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Communication {
    /// `language`.
    pub language: Node<CodeableConcept>,
    /// `preferred`.
    pub preferred: Flag,
}

/// `Parameters.parameter`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Parameter {
    /// `name`.
    pub name: Text,
    /// `resource`.
    pub resource: Option<Box<Node<Resource>>>,
}

/// A Bundle.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Bundle {
    /// `resourceType`.
    #[serde(rename = "resourceType")]
    pub resource_type: Text,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: Text,
    /// `entry`.
    pub entry: List<Node<BundleEntry>>,
}

/// `Bundle.entry`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BundleEntry {
    /// `fullUrl`.
    #[serde(rename = "fullUrl")]
    pub full_url: Text,
    /// `resource`: `None` when absent.
    pub resource: Option<Node<Resource>>,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotJson(pub String);

/// Reads a document (a resource or a Bundle, any JSON at all) in one pass; a key given
/// twice in one object sends it through a JSON tree instead. `Err` when it is not JSON.
pub fn read<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, NotJson> {
    // Checked first: elements that are skipped are not checked for UTF-8 as they are read.
    if std::str::from_utf8(body).is_err() {
        return Err(NotJson("the body is not UTF-8".into()));
    }
    let not_json = |error: serde_json::Error| {
        NotJson(format!(
            "the body is not JSON (line {} column {})",
            error.line(),
            error.column()
        ))
    };
    match serde_json::from_slice::<Node<T>>(body) {
        Ok(node) => Ok(node.0),
        Err(error) if error.is_data() => {
            let tree: serde_json::Value = serde_json::from_slice(body).map_err(not_json)?;
            Ok(Node::<T>::deserialize(&tree).map_or_else(|_| T::default(), |node| node.0))
        }
        Err(error) => Err(not_json(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_read_through_a_tree_and_the_last_wins() {
        let body =
            br#"{"resourceType": "Patient", "birthDate": "2019-01-01", "birthDate": "2020-02-02"}"#;
        let resource: Resource = read(body).unwrap();
        assert_eq!(resource.birth_date.get(), Some("2020-02-02"));
        assert_eq!(resource.resource_type.get(), Some("Patient"));
    }

    #[test]
    fn what_is_not_json_is_told_with_its_position() {
        let error = read::<Resource>(b"{\n  \"resourceType\": Patient}").unwrap_err();
        assert_eq!(error.0, "the body is not JSON (line 2 column 19)");
        assert!(read::<Resource>(b"\xff").is_err());
        assert!(read::<Resource>(b"[1, 2]")
            .unwrap()
            .resource_type
            .get()
            .is_none());
    }

    #[test]
    fn parameters_unwrap_to_their_resource() {
        let body = br#"{"resourceType": "Parameters", "parameter": [
            {"name": "mode", "valueCode": "create"},
            {"name": "resource", "resource": {"resourceType": "Patient", "id": "p1"}}]}"#;
        let resource = read::<Resource>(body).unwrap().unwrap_parameters();
        assert_eq!(resource.id.get(), Some("p1"));
        let plain = read::<Resource>(br#"{"resourceType": "Patient", "id": "p2"}"#)
            .unwrap()
            .unwrap_parameters();
        assert_eq!(plain.id.get(), Some("p2"));
    }
}
