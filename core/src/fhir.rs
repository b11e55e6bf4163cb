//! A case as a FHIR R4 (4.0.1) Bundle, for the hospital's record and the
//! municipality's: the Encounter, an Observation per vital sign with its
//! LOINC code and UCUM unit, the NEWS2 and TOBS scores, a Flag per danger
//! sign, the treatment decisions as Consents, Communications for the ISBAR
//! and the physician's advice, DocumentReferences for voice notes with their
//! machine transcripts next to the audio.
//!
//! MedCom's FHIR conventions followed where they apply (docs/fhir.md):
//! `urn:uuid:` full URLs in a `collection` Bundle, timestamps with their
//! offset, Danish text in `text`/`display`, the LOINC/UCUM vital-sign codes
//! of the FHIR vital-signs profile. Not claimed: MedCom's profiles, which
//! require a CPR number and SOR codes this system does not hold.
//!
//! Pure: the caller reads the case (access-logged) and hands its parts in.

use std::collections::HashMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::assessment::Urgency;
use crate::engine::{CaseState, Checklist};
use crate::i18n::{Lang, Localizer, Msg};
use crate::ids::PersonId;
use crate::person::Role;
use crate::record::{CaseEvent, CaseStatus, CaseSummary, EventKind};
use crate::resident::DecisionKind;
use crate::vitals::Param;

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";
const UCUM: &str = "http://unitsofmeasure.org";
const OBS_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// The people who wrote a case's events: name and role.
pub type Authors = HashMap<PersonId, (String, Option<Role>)>;

/// What the export is made from.
pub struct CaseParts<'a> {
    /// The case.
    pub summary: &'a CaseSummary,
    /// Its record.
    pub events: &'a [CaseEvent],
    /// The checklist's state (the resident as the case saw them).
    pub state: Option<&'a CaseState>,
    /// The authors by person id.
    pub authors: &'a Authors,
    /// When the export was made.
    pub now: DateTime<Utc>,
}

/// Builds the Bundle.
pub fn bundle(parts: &CaseParts<'_>, def: &Checklist, loc: &Localizer, lang: Lang) -> Value {
    Builder {
        parts,
        def,
        loc,
        lang,
        entries: Vec::new(),
    }
    .build()
}

struct Builder<'a> {
    parts: &'a CaseParts<'a>,
    def: &'a Checklist,
    loc: &'a Localizer,
    lang: Lang,
    entries: Vec<Value>,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Builder<'_> {
    /// A stable id for a resource of this case: the same export twice gives
    /// the same ids.
    fn id(&self, name: &str) -> String {
        uuid::Uuid::new_v5(&self.parts.summary.id.uuid(), name.as_bytes()).to_string()
    }

    fn reference(&self, name: &str) -> Value {
        json!({ "reference": format!("urn:uuid:{}", self.id(name)) })
    }

    fn push(&mut self, name: &str, mut resource: Value) {
        let id = self.id(name);
        resource["id"] = json!(id);
        self.entries.push(json!({
            "fullUrl": format!("urn:uuid:{id}"),
            "resource": resource,
        }));
    }

    fn text(&self, m: &Msg) -> String {
        self.loc.render(self.lang, m)
    }

    fn practitioner(&self, p: &PersonId) -> Value {
        self.reference(&format!("Practitioner/{p}"))
    }

    fn build(mut self) -> Value {
        let summary = self.parts.summary;
        let state = self.parts.state;
        // Who the case is about and where from.
        let resident = state.and_then(|s| s.resident.as_deref());
        if let Some(r) = resident {
            let mut patient = json!({
                "resourceType": "Patient",
                "identifier": [{ "system": "urn:akutlinje:resident", "value": r.id.as_str() }],
                "name": [{ "text": r.name.as_str() }],
                "managingOrganization": self.reference("Organization"),
            });
            if let Some(b) = r.born {
                patient["birthDate"] = json!(b.format("%Y-%m-%d").to_string());
            }
            self.push("Patient", patient);
        }
        let home_name = state
            .map(|s| s.caller.home_name.clone())
            .unwrap_or_else(|| summary.home.to_string());
        self.push(
            "Organization",
            json!({
                "resourceType": "Organization",
                "identifier": [{ "system": "urn:akutlinje:home", "value": summary.home.as_str() }],
                "name": home_name,
                "type": [{ "text": "Plejecenter" }],
            }),
        );
        let mut authors: Vec<(&PersonId, &(String, Option<Role>))> =
            self.parts.authors.iter().collect();
        authors.sort_by(|a, b| a.0.cmp(b.0));
        for (p, (name, role)) in authors {
            let mut pr = json!({
                "resourceType": "Practitioner",
                "identifier": [{ "system": "urn:akutlinje:person", "value": p.as_str() }],
                "name": [{ "text": name }],
            });
            if let Some(role) = role {
                pr["qualification"] = json!([{ "code": { "text": role.as_str() } }]);
            }
            self.push(&format!("Practitioner/{p}"), pr);
        }
        self.encounter();
        let subject = resident.map(|_| self.reference("Patient"));
        let encounter = self.reference("Encounter");
        let events = self.parts.events;
        for e in events {
            let by = e
                .event
                .author
                .person
                .as_ref()
                .map(|p| vec![self.practitioner(p)])
                .unwrap_or_default();
            let at = time(e.event.at);
            let seq = e.seq;
            match &e.event.kind {
                EventKind::VitalRecorded {
                    param,
                    value: Some(v),
                } => {
                    let mut obs = json!({
                        "resourceType": "Observation",
                        "status": "final",
                        "category": [{ "coding": [{ "system": OBS_CATEGORY, "code": "vital-signs", "display": "Vital Signs" }] }],
                        "encounter": encounter,
                        "effectiveDateTime": at,
                        "performer": by,
                    });
                    if let Some(s) = &subject {
                        obs["subject"] = s.clone();
                    }
                    self.vital(&mut obs, *param, v);
                    self.push(&format!("Observation/{seq}"), obs);
                }
                EventKind::IsbarComposed { isbar } => {
                    let mut news = json!({
                        "resourceType": "Observation",
                        "status": "final",
                        "category": [{ "coding": [{ "system": OBS_CATEGORY, "code": "survey", "display": "Survey" }] }],
                        "code": { "coding": [{ "system": SNOMED, "code": "1104051000000101", "display": "Royal College of Physicians National Early Warning Score 2 (NEWS2)" }], "text": "NEWS2" },
                        "encounter": encounter,
                        "effectiveDateTime": at,
                        "valueInteger": isbar.news2.total,
                    });
                    let mut tobs = json!({
                        "resourceType": "Observation",
                        "status": "final",
                        "category": [{ "coding": [{ "system": OBS_CATEGORY, "code": "survey", "display": "Survey" }] }],
                        "code": { "text": "TOBS (Tidlig Opsporing af Begyndende Sygdom)" },
                        "encounter": encounter,
                        "effectiveDateTime": at,
                        "valueInteger": isbar.tobs.total,
                    });
                    if !isbar.news2.is_complete() {
                        let note =
                            json!([{ "text": self.loc.text(self.lang, "fhir-partial-score") }]);
                        news["note"] = note.clone();
                        tobs["note"] = note;
                    }
                    if let Some(s) = &subject {
                        news["subject"] = s.clone();
                        tobs["subject"] = s.clone();
                    }
                    self.push(&format!("Observation/{seq}/news2"), news);
                    self.push(&format!("Observation/{seq}/tobs"), tobs);
                    // The ISBAR as the physician read it.
                    let mut c = self.communication(&at, by.first().cloned(), "ISBAR");
                    c["payload"] = json!([{ "contentString": isbar.render(self.loc, self.lang) }]);
                    if let Some(s) = &subject {
                        c["subject"] = s.clone();
                    }
                    self.push(&format!("Communication/{seq}"), c);
                }
                EventKind::RedFlagsAnswered { flags } => {
                    for f in flags {
                        let label = self
                            .def
                            .flag(f)
                            .map(|d| self.text(&Msg::new(&d.label)))
                            .unwrap_or_else(|| f.to_string());
                        let mut flag = json!({
                            "resourceType": "Flag",
                            "status": "active",
                            "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "clinical", "display": "Clinical" }] }],
                            "code": { "text": label },
                            "period": { "start": at },
                            "encounter": encounter,
                            "author": by.first().cloned().unwrap_or_else(|| self.reference("Organization")),
                        });
                        flag["subject"] = subject
                            .clone()
                            .unwrap_or_else(|| self.reference("Organization"));
                        self.push(&format!("Flag/{seq}/{f}"), flag);
                    }
                }
                EventKind::DispositionRecorded { .. } | EventKind::Note { .. }
                    if e.event.author.role == Some(Role::Physician) =>
                {
                    let mut c = self.communication(&at, by.first().cloned(), "advice");
                    c["payload"] =
                        json!([{ "contentString": self.text(&e.event.kind.sentence()) }]);
                    if let Some(s) = &subject {
                        c["subject"] = s.clone();
                    }
                    c["recipient"] = json!([self.reference("Organization")]);
                    self.push(&format!("Communication/{seq}"), c);
                }
                EventKind::AudioAttached {
                    attachment,
                    mime,
                    bytes,
                    duration_ms,
                } => {
                    let mut content = vec![json!({
                        "attachment": {
                            "contentType": mime,
                            "size": bytes,
                            "url": format!("urn:akutlinje:attachment:{attachment}"),
                            "title": self.text(&Msg::new("fhir-voice-note").arg("seconds", duration_ms.map_or(0, |ms| ms.div_ceil(1000)))),
                            "creation": at,
                        }
                    })];
                    // The machine transcript next to the audio, never instead of it.
                    let transcripts = events.iter().filter_map(|t| match &t.event.kind {
                        EventKind::Transcribed {
                            attachment: a,
                            text,
                            model,
                            ..
                        } if a == attachment => Some((text, model, t.event.at)),
                        _ => None,
                    });
                    for (text, model, when) in transcripts {
                        content.push(json!({
                            "attachment": {
                                "contentType": "text/plain; charset=utf-8",
                                "language": "da",
                                "data": base64::engine::general_purpose::STANDARD.encode(text.as_str()),
                                "title": self.text(&Msg::new("fhir-machine-transcript").arg("model", model.as_str())),
                                "creation": time(when),
                            }
                        }));
                    }
                    let mut doc = json!({
                        "resourceType": "DocumentReference",
                        "status": "current",
                        "type": { "text": self.loc.text(self.lang, "fhir-voice-note-type") },
                        "date": time(e.event.at),
                        "author": by,
                        "description": self.loc.text(self.lang, "fhir-transcript-warning"),
                        "content": content,
                        "context": { "encounter": [encounter.clone()] },
                    });
                    if let Some(s) = &subject {
                        doc["subject"] = s.clone();
                    }
                    self.push(&format!("DocumentReference/{seq}"), doc);
                }
                _ => {}
            }
        }
        if let (Some(r), Some(s)) = (resident, &subject) {
            for (i, d) in r.decisions.iter().enumerate() {
                let deny = !matches!(
                    d.kind,
                    DecisionKind::FullTreatment
                        | DecisionKind::Behandlingstestamente
                        | DecisionKind::Livstestamente
                        | DecisionKind::OwnWish
                );
                let mut label = self
                    .loc
                    .text(self.lang, &format!("decision-{}", d.kind.as_str()));
                if let Some(n) = &d.note {
                    label = format!("{label}: {n}");
                }
                let consent = json!({
                    "resourceType": "Consent",
                    "status": "active",
                    "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment", "display": "Treatment" }] },
                    "category": [{ "coding": [{ "system": LOINC, "code": "59284-0", "display": "Patient Consent" }], "text": self.loc.text(self.lang, "fhir-treatment-decision") }],
                    "patient": s,
                    "dateTime": d.recorded_on.format("%Y-%m-%d").to_string(),
                    "policyRule": { "text": d.recorded_by.as_str() },
                    "provision": {
                        "type": if deny { "deny" } else { "permit" },
                        "code": [{ "text": label }],
                    },
                });
                self.push(&format!("Consent/{i}"), consent);
            }
        }
        json!({
            "resourceType": "Bundle",
            "id": self.id("Bundle"),
            "identifier": { "system": "urn:akutlinje:case", "value": summary.id.to_string() },
            "type": "collection",
            "timestamp": time(self.parts.now),
            "entry": self.entries,
        })
    }

    fn communication(&self, at: &str, sender: Option<Value>, what: &str) -> Value {
        let mut c = json!({
            "resourceType": "Communication",
            "status": "completed",
            "category": [{ "text": what }],
            "encounter": self.reference("Encounter"),
            "sent": at,
        });
        if let Some(s) = sender {
            c["sender"] = s;
        }
        c
    }

    fn encounter(&mut self) {
        let summary = self.parts.summary;
        let status = match summary.status {
            CaseStatus::Closed => "finished",
            CaseStatus::Cancelled => "cancelled",
            _ => "in-progress",
        };
        let (code, display) = match summary.urgency {
            Some(Urgency::Red) => ("EM", "emergency"),
            Some(Urgency::High | Urgency::Medium) => ("UR", "urgent"),
            _ => ("R", "routine"),
        };
        let mut enc = json!({
            "resourceType": "Encounter",
            "identifier": [{ "system": "urn:akutlinje:case", "value": summary.id.to_string() }],
            "status": status,
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR", "display": "virtual" },
            "type": [{ "text": self.loc.text(self.lang, "fhir-encounter-type") }],
            "priority": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority", "code": code, "display": display }] },
            "period": { "start": time(summary.opened_at) },
            "serviceProvider": self.reference("Organization"),
        });
        if self.parts.state.and_then(|s| s.resident.as_ref()).is_some() {
            enc["subject"] = self.reference("Patient");
        }
        if let Some(u) = summary.urgency {
            enc["reasonCode"] = json!([{ "text": self.text(&u.label()) }]);
        }
        self.push("Encounter", enc);
    }

    /// The code and value of one vital sign, from the value as the record shows it.
    fn vital(&self, obs: &mut Value, p: Param, shown: &str) {
        let coded = |code: &str, display: &str| json!({ "coding": [{ "system": LOINC, "code": code, "display": display }], "text": self.text(&Msg::new(format!("param-{}", p.field()))) });
        let number = |s: &str| -> Option<f64> {
            s.trim_end_matches('%')
                .trim()
                .replace(',', ".")
                .parse()
                .ok()
        };
        let quantity = |v: f64, unit: &str, code: &str| json!({ "value": v, "unit": unit, "system": UCUM, "code": code });
        let simple =
            |code: &str, display: &str, unit: &str, ucum: &str| -> (Value, Option<Value>) {
                (
                    coded(code, display),
                    number(shown).map(|v| quantity(v, unit, ucum)),
                )
            };
        let (code, value) = match p {
            Param::RespRate => simple("9279-1", "Respiratory rate", "/min", "/min"),
            Param::Spo2 => simple(
                "59408-5",
                "Oxygen saturation in Arterial blood by Pulse oximetry",
                "%",
                "%",
            ),
            Param::Pulse => simple("8867-4", "Heart rate", "/min", "/min"),
            Param::Temp => simple("8310-5", "Body temperature", "Cel", "Cel"),
            Param::Systolic => {
                let mut parts = shown.split('/');
                let sys = parts.next().and_then(number);
                let dia = parts.next().and_then(number);
                let mut components = Vec::new();
                if let Some(s) = sys {
                    components.push(json!({
                        "code": { "coding": [{ "system": LOINC, "code": "8480-6", "display": "Systolic blood pressure" }] },
                        "valueQuantity": quantity(s, "mmHg", "mm[Hg]"),
                    }));
                }
                if let Some(d) = dia {
                    components.push(json!({
                        "code": { "coding": [{ "system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure" }] },
                        "valueQuantity": quantity(d, "mmHg", "mm[Hg]"),
                    }));
                }
                obs["code"] = coded("85354-9", "Blood pressure panel with all children optional");
                obs["component"] = json!(components);
                return;
            }
            Param::Oxygen => {
                obs["code"] = json!({ "coding": [{ "system": SNOMED, "code": "57485005", "display": "Oxygen therapy" }], "text": self.text(&Msg::new("param-oxygen")) });
                obs["valueBoolean"] = json!(shown == "oxygen");
                return;
            }
            Param::Consciousness => {
                obs["code"] = coded("67775-7", "Level of responsiveness");
                obs["valueCodeableConcept"] =
                    json!({ "text": self.text(&crate::sentences::vital_value(p, shown)) });
                return;
            }
        };
        obs["code"] = code;
        match value {
            Some(v) => obs["valueQuantity"] = v,
            None => obs["valueString"] = json!(shown),
        }
    }
}
