"""Completeness by unit and domain, as a quality analyst would compute it with pandas.

Usage: analyst_pandas.py CODESETS_DIR OUT.csv RECORDS.ndjson [MORE.ndjson ...]

The same report as analyst_duckdb.py: newest record per (source, patient_id, unit), race
and ethnicity codes checked against the CDC Race & Ethnicity code set, the preferred
language against the IANA language subtags, counts per unit, domain and status.
"""

import csv
import json
import sys

import pandas as pd

codesets, out, *inputs = sys.argv[1:]

# The valid codes, from the repository's own code lists.
with open(f"{codesets}/cdcrec_concepts.csv", newline="") as f:
    concepts = [row for row in csv.DictReader(f) if row["abstract"] == "false"]
RACE = {row["code"] for row in concepts if row["kind"] == "race"}
ETHNICITY = {row["code"] for row in concepts if row["kind"] == "ethnicity"}
with open(f"{codesets}/iana-language-subtag-registry.json") as f:
    LANGUAGES = {e["Subtag"].lower() for e in json.load(f) if e["Type"] == "language"}

NULL_FLAVORS = {"ASKU": "declined", "NASK": "not_asked"}  # any other: unknown
STATUSES = ["complete", "declined", "unknown", "not_asked", "missing", "invalid"]


def coded_status(answer, valid):
    """The status of a race or ethnicity answer."""
    if not isinstance(answer, dict):
        return "missing"
    if answer.get("null_flavor"):
        return NULL_FLAVORS.get(answer["null_flavor"], "unknown")
    codes = [c.get("code") for c in answer.get("codes") or []]
    if not codes:
        return "missing"
    return "complete" if all(code in valid for code in codes) else "invalid"


def language_status(answer):
    """The status of the preferred language."""
    if not isinstance(answer, dict):
        return "missing"
    if answer.get("null_flavor"):
        return NULL_FLAVORS.get(answer["null_flavor"], "unknown")
    preferred = answer.get("preferred")
    if not preferred:
        return "missing"
    return "complete" if preferred.split("-")[0].lower() in LANGUAGES else "invalid"


# The records (recorded_at is parsed as a date by read_json), newest per patient and unit.
records = pd.concat(pd.read_json(path, lines=True) for path in inputs)
current = records.sort_values("recorded_at", kind="stable").drop_duplicates(
    ["source", "patient_id", "unit"], keep="last"
)

statuses = pd.DataFrame({
    "unit": current["unit"],
    "race": current["race"].map(lambda a: coded_status(a, RACE)),
    "ethnicity": current["ethnicity"].map(lambda a: coded_status(a, ETHNICITY)),
    "language": current["language"].map(language_status),
})
long = statuses.melt(id_vars="unit", var_name="domain", value_name="status")
report = pd.crosstab([long["unit"], long["domain"]], long["status"])
report = report.reindex(columns=STATUSES, fill_value=0)
report.insert(0, "patients", report.sum(axis=1))
report["rate"] = (report["complete"] + report["declined"]) / report["patients"]
report.to_csv(out)
