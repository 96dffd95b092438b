//! HL7 v2 over HTTP: the conformance corpus (tests/fixtures/hl7v2).
