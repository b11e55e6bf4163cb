//! The ISBAR summary and the resident card, as data and as text.
//!
//! Key design decision: what a physician must see first comes first — the
//! urgency and red flags, then the treatment level and wishes with their
//! source, then NEWS2 and TOBS with subscores — *above* the I-S-B-A-R body.
//! At 3 a.m. on a phone screen, the top four lines decide the call.
//! The fields and their Danish names: docs/clinical.md § ISBAR.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::assessment::{self, FlagId, Reason, Urgency, Vitals};
use crate::i18n::{Lang, Localizer, Msg};
use crate::ids::{HomeId, ResidentId, Text};
use crate::news2::News2Score;
use crate::person::Role;
use crate::resident::{Cognition, Contact, DecisionKind, Resident, Room, TreatmentDecision};
use crate::tobs::TobsScore;
use crate::vitals::{Oxygen, Param, TempSite};

/// The resident as the summary shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResidentBrief {
    /// The resident.
    pub id: ResidentId,
    /// Their name.
    pub name: Text,
    /// Their room.
    pub room: Room,
    /// Their age on the day of the case.
    pub age: Option<u32>,
    /// Their usual cognition (so that "new confusion" means new).
    pub cognition: Cognition,
    /// Diagnoses.
    pub diagnoses: Vec<Text>,
    /// Allergies.
    pub allergies: Vec<Text>,
    /// Next of kin.
    pub contact: Option<Contact>,
    /// Whether a clinician prescribed SpO2 scale 2 for them.
    pub spo2_scale2: bool,
}

/// An ISBAR summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Isbar {
    /// The urgency.
    pub urgency: Urgency,
    /// Why.
    pub reason: Reason,
    /// The danger signs present.
    pub red_flags: Vec<FlagId>,
    /// Labels of the red flags (message ids), so rendering needs no definition.
    pub red_flag_labels: Vec<Msg>,
    /// Whether staff were told to ring 112.
    pub advised_112: bool,
    /// Whether a decision ruled 112 out.
    pub no_112_by_decision: bool,
    /// Treatment decisions and wishes, limitations first.
    pub decisions: Vec<TreatmentDecision>,
    /// NEWS2, complete or partial.
    pub news2: News2Score,
    /// TOBS, complete or partial.
    pub tobs: TobsScore,
    /// The vital signs as given.
    pub vitals: Vitals,
    /// The caller's name.
    pub caller_name: Option<Text>,
    /// The caller's role.
    pub caller_role: Option<Role>,
    /// The home.
    pub home: HomeId,
    /// The home's name.
    pub home_name: String,
    /// The resident, once identified.
    pub resident: Option<ResidentBrief>,
    /// The situation in the caller's words.
    pub situation: Option<Text>,
    /// The caller's concern.
    pub concern: Option<Text>,
}

/// What the summary says about the resident.
pub(crate) fn brief(r: &Resident, today: NaiveDate) -> ResidentBrief {
    ResidentBrief {
        id: r.id.clone(),
        name: r.name.clone(),
        room: r.room.clone(),
        age: r.age_on(today),
        cognition: r.baseline_cognition,
        diagnoses: r.diagnoses.clone(),
        allergies: r.allergies.clone(),
        contact: r.contact.clone(),
        spo2_scale2: r.spo2_scale2,
    }
}

/// "Dr. Lund, 10.01.2025".
pub fn decision_source(d: &TreatmentDecision) -> Msg {
    Msg::new("decision-source")
        .arg("by", &d.recorded_by)
        .arg("on", d.recorded_on.format("%d.%m.%Y"))
}

fn decision_line(loc: &Localizer, lang: Lang, d: &TreatmentDecision) -> String {
    let label = loc.text(lang, &format!("decision-{}", d.kind.as_str()));
    let source = loc.render(lang, &decision_source(d));
    let mark = if d.kind.is_limitation() { "⚠ " } else { "" };
    match &d.note {
        Some(n) => format!("{mark}{label}: «{n}» ({source})"),
        None => format!("{mark}{label} ({source})"),
    }
}

fn decisions_block(loc: &Localizer, lang: Lang, ds: &[&TreatmentDecision], out: &mut Vec<String>) {
    let has_level = ds.iter().any(|d| d.kind != DecisionKind::OwnWish);
    if !has_level {
        out.push(format!("⚠ {}", loc.text(lang, "treatment-none")));
    }
    for d in ds {
        out.push(decision_line(loc, lang, d));
    }
}

fn list_or_none(loc: &Localizer, lang: Lang, items: &[Text]) -> String {
    if items.is_empty() {
        loc.text(lang, "none")
    } else {
        items
            .iter()
            .map(Text::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn contact_text(c: &Contact) -> String {
    let mut s = c.name.to_string();
    if let Some(r) = &c.relation {
        s.push_str(&format!(" ({r})"));
    }
    if let Some(p) = &c.phone {
        s.push_str(&format!(", {p}"));
    }
    s
}

/// The resident card shown to staff when the resident is identified:
/// treatment level and wishes right under the name.
pub fn render_card(loc: &Localizer, lang: Lang, r: &Resident, today: NaiveDate) -> String {
    let mut out = Vec::new();
    let mut title = loc.render(
        lang,
        &Msg::new("card-title")
            .arg("name", &r.name)
            .arg("room", &r.room),
    );
    if let Some(age) = r.age_on(today) {
        title.push_str(&format!(
            " ({})",
            loc.render(lang, &Msg::new("card-age").arg("age", age))
        ));
    }
    out.push(title);
    out.push(loc.text(lang, "card-treatment"));
    let mut ds = Vec::new();
    decisions_block(loc, lang, &r.decisions_in_order(), &mut ds);
    out.extend(ds.into_iter().map(|l| format!("  {l}")));
    out.push(loc.render(
        lang,
        &Msg::new("card-cognition").arg_msg(
            "cognition",
            Msg::new(format!("cognition-{}", r.baseline_cognition.as_str())),
        ),
    ));
    out.push(loc.render(
        lang,
        &Msg::new("card-diagnoses").arg("list", list_or_none(loc, lang, &r.diagnoses)),
    ));
    out.push(loc.render(
        lang,
        &Msg::new("card-allergies").arg("list", list_or_none(loc, lang, &r.allergies)),
    ));
    if let Some(c) = &r.contact {
        out.push(loc.render(
            lang,
            &Msg::new("card-contact").arg("contact", contact_text(c)),
        ));
    }
    if r.spo2_scale2 {
        out.push(loc.text(lang, "card-spo2-scale2"));
    }
    out.join("\n")
}

fn reason_text(loc: &Localizer, lang: Lang, i: &Isbar) -> String {
    let param = |p: &Param| loc.text(lang, &format!("param-{}", p.field()));
    let m = match &i.reason {
        Reason::RedFlag(_) => {
            Msg::new("reason-red-flag").arg_list("flags", i.red_flag_labels.clone())
        }
        Reason::News2(t) => Msg::new("reason-news2").arg("total", t),
        Reason::News2Partial(t, missing) => Msg::new("reason-news2-partial").arg("total", t).arg(
            "missing",
            missing.iter().map(param).collect::<Vec<_>>().join(", "),
        ),
        Reason::SingleThree(p) => Msg::new("reason-single-three").arg("param", param(p)),
        Reason::NoVitals => Msg::new("reason-no-vitals"),
        Reason::CallerRequest(inner) => {
            let inner = Isbar {
                reason: (**inner).clone(),
                ..i.clone()
            };
            Msg::new("reason-caller-request").arg("reason", reason_text(loc, lang, &inner))
        }
    };
    loc.render(lang, &m)
}

fn subscores<'a>(
    loc: &Localizer,
    lang: Lang,
    items: impl Iterator<Item = (Param, Option<u8>)> + 'a,
) -> String {
    items
        .map(|(p, s)| {
            let name = loc.text(lang, &format!("param-{}", p.field()));
            match s {
                Some(s) => format!("{name} {s}"),
                None => format!("{name} –"),
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The vital signs on one line as the ISBAR shows them ("RF 22, SpO2 95 %
/// (luft), …"), each missing one as not measured: also what a re-measure
/// reminder quotes as the last values.
pub fn vitals_text(loc: &Localizer, lang: Lang, v: &Vitals) -> String {
    let skipped = loc.text(lang, "value-skipped");
    let name = |p: Param| loc.text(lang, &format!("param-{}", p.field()));
    let oxygen = v.oxygen.value().map(|o| {
        let id = if o == Oxygen::Air {
            "value-air"
        } else {
            "value-oxygen"
        };
        loc.text(lang, id)
    });
    let mut parts = Vec::new();
    for p in Param::ALL {
        let value = match p {
            // Air or oxygen belongs with the saturation it qualifies.
            Param::Oxygen => continue,
            Param::Spo2 => {
                let sat = v.display(p).unwrap_or_else(|| skipped.clone());
                let o2 = oxygen
                    .clone()
                    .unwrap_or_else(|| loc.text(lang, "value-oxygen-unknown"));
                Some(format!("{sat} ({o2})"))
            }
            Param::Consciousness => v.consciousness.value().map(|c| {
                lowercase_first(&loc.text(
                    lang,
                    &format!("cons-{}", assessment::tobs_consciousness_name(c)),
                ))
            }),
            Param::Temp => v.display(p).map(|t| match v.temp_site {
                TempSite::Rectal => t,
                TempSite::Oral => format!("{t} ({})", loc.text(lang, "value-temp-site-oral")),
                TempSite::Axillary => {
                    format!("{t} ({})", loc.text(lang, "value-temp-site-axillary"))
                }
                TempSite::Ear => format!("{t} ({})", loc.text(lang, "value-temp-site-ear")),
            }),
            _ => v.display(p),
        };
        parts.push(format!(
            "{} {}",
            name(p),
            value.unwrap_or_else(|| skipped.clone())
        ));
    }
    parts.join(", ")
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

impl Isbar {
    /// The summary as plain text, in `lang`.
    pub fn render(&self, loc: &Localizer, lang: Lang) -> String {
        let mut out = self.first_lines(loc, lang);
        out.extend(self.score_lines(loc, lang));
        out.push(String::new());
        out.push(self.identification(loc, lang));
        out.push(self.situation_line(loc, lang));
        out.push(self.background(loc, lang));
        out.push(self.analysis(loc, lang));
        out.push(self.advice(loc, lang));
        out.join("\n")
    }

    /// What the physician must see first: the home, the urgency and why,
    /// 112, and the treatment decisions with their source.
    fn first_lines(&self, loc: &Localizer, lang: Lang) -> Vec<String> {
        let mut out = Vec::new();
        out.push(loc.render(lang, &Msg::new("isbar-title").arg("home", &self.home_name)));
        out.push(format!(
            "{} {}",
            if self.urgency == Urgency::Red {
                "🚨"
            } else {
                "▶"
            },
            loc.render(
                lang,
                &Msg::new("isbar-urgency")
                    .arg_msg("urgency", self.urgency.label())
                    .arg("reason", reason_text(loc, lang, self))
            )
        ));
        if self.advised_112 {
            out.push(loc.text(lang, "isbar-advised-112"));
        }
        if self.no_112_by_decision {
            out.push(format!("⚠ {}", loc.text(lang, "isbar-no-112")));
        }
        if self.resident.is_some() {
            out.push(loc.text(lang, "card-treatment"));
            let ds: Vec<&TreatmentDecision> = self.decisions.iter().collect();
            let mut lines = Vec::new();
            decisions_block(loc, lang, &ds, &mut lines);
            out.extend(lines.into_iter().map(|l| format!("  {l}")));
        }
        out
    }

    /// NEWS2 (complete, partial or none) and, with it, TOBS.
    fn score_lines(&self, loc: &Localizer, lang: Lang) -> Vec<String> {
        let mut out = Vec::new();
        let n = &self.news2;
        let n_subs = subscores(loc, lang, n.subscores.iter());
        out.push(if n.is_empty() {
            loc.text(lang, "isbar-news2-none")
        } else if n.is_complete() {
            loc.render(
                lang,
                &Msg::new("isbar-news2")
                    .arg("total", n.total)
                    .arg_msg("band", Msg::new(format!("news2-band-{}", n.band.as_str())))
                    .arg("subscores", n_subs),
            )
        } else {
            let missing = n
                .missing
                .iter()
                .map(|p| loc.text(lang, &format!("param-{}", p.field())))
                .collect::<Vec<_>>()
                .join(", ");
            loc.render(
                lang,
                &Msg::new("isbar-news2-partial")
                    .arg("total", n.total)
                    .arg("missing", missing)
                    .arg("subscores", n_subs),
            )
        });
        if !n.is_empty() {
            let t = &self.tobs;
            let subs = subscores(
                loc,
                lang,
                [
                    (Param::Pulse, t.subscores.pulse),
                    (Param::RespRate, t.subscores.resp_rate),
                    (Param::Systolic, t.subscores.systolic),
                    (Param::Temp, t.subscores.temp),
                    (Param::Consciousness, t.subscores.consciousness),
                ]
                .into_iter(),
            );
            let id = if t.missing == 0 {
                "isbar-tobs"
            } else {
                "isbar-tobs-partial"
            };
            out.push(loc.render(
                lang,
                &Msg::new(id).arg("total", t.total).arg("subscores", subs),
            ));
        }
        out
    }

    /// I: who calls, from where, about whom.
    fn identification(&self, loc: &Localizer, lang: Lang) -> String {
        let not_stated = loc.text(lang, "isbar-not-stated");
        let resident = match &self.resident {
            Some(r) => {
                let mut s = loc.render(
                    lang,
                    &Msg::new("card-title")
                        .arg("name", &r.name)
                        .arg("room", &r.room),
                );
                // "Beboer: X, værelse 12" -> drop the "Beboer: " label inside the I line.
                if let Some((_, rest)) = s.split_once(": ") {
                    s = rest.to_string();
                }
                if let Some(a) = r.age {
                    s.push_str(&format!(
                        ", {}",
                        loc.render(lang, &Msg::new("card-age").arg("age", a))
                    ));
                }
                s
            }
            None => loc.text(lang, "isbar-no-resident"),
        };
        let role = self
            .caller_role
            .map(|r| loc.text(lang, &format!("role-{}", r.as_str())))
            .unwrap_or_else(|| not_stated.clone());
        loc.render(
            lang,
            &Msg::new("isbar-i")
                .arg(
                    "caller",
                    self.caller_name
                        .as_ref()
                        .map(Text::to_string)
                        .unwrap_or_else(|| not_stated.clone()),
                )
                .arg("role", role)
                .arg("home", &self.home_name)
                .arg("resident", resident),
        )
    }

    /// S: the situation in the caller's words.
    fn situation_line(&self, loc: &Localizer, lang: Lang) -> String {
        let not_stated = loc.text(lang, "isbar-not-stated");
        loc.render(
            lang,
            &Msg::new("isbar-s").arg(
                "situation",
                self.situation
                    .as_ref()
                    .map(Text::to_string)
                    .unwrap_or_else(|| not_stated.clone()),
            ),
        )
    }

    /// B: diagnoses, allergies, usual cognition, next of kin.
    fn background(&self, loc: &Localizer, lang: Lang) -> String {
        let not_stated = loc.text(lang, "isbar-not-stated");
        let background = match &self.resident {
            Some(r) => {
                let mut b = vec![
                    loc.render(
                        lang,
                        &Msg::new("card-diagnoses")
                            .arg("list", list_or_none(loc, lang, &r.diagnoses)),
                    ),
                    loc.render(
                        lang,
                        &Msg::new("card-allergies")
                            .arg("list", list_or_none(loc, lang, &r.allergies)),
                    ),
                    loc.render(
                        lang,
                        &Msg::new("card-cognition").arg_msg(
                            "cognition",
                            Msg::new(format!("cognition-{}", r.cognition.as_str())),
                        ),
                    ),
                ];
                if let Some(c) = &r.contact {
                    b.push(loc.render(
                        lang,
                        &Msg::new("card-contact").arg("contact", contact_text(c)),
                    ));
                }
                if r.spo2_scale2 {
                    b.push(loc.text(lang, "card-spo2-scale2"));
                }
                b.join(". ")
            }
            None => not_stated.clone(),
        };
        loc.render(lang, &Msg::new("isbar-b").arg("background", background))
    }

    /// A: the vital signs and the caller's concern.
    fn analysis(&self, loc: &Localizer, lang: Lang) -> String {
        let not_stated = loc.text(lang, "isbar-not-stated");
        loc.render(
            lang,
            &Msg::new("isbar-a")
                .arg("vitals", vitals_text(loc, lang, &self.vitals))
                .arg(
                    "concern",
                    self.concern
                        .as_ref()
                        .map(Text::to_string)
                        .unwrap_or_else(|| not_stated.clone()),
                ),
        )
    }

    /// R: what to do, with Chart 4's frequency when something was measured.
    fn advice(&self, loc: &Localizer, lang: Lang) -> String {
        // Chart 4's frequency only means something when something was measured.
        let monitoring = if self.news2.is_empty() {
            String::new()
        } else {
            let m = Msg::new(format!(
                "news2-monitoring-{}",
                self.news2.monitoring.as_str()
            ));
            format!(
                " {}",
                loc.render(lang, &Msg::new("isbar-monitoring").arg_msg("monitoring", m))
            )
        };
        loc.render(lang, &Msg::new("isbar-r").arg("monitoring", monitoring))
    }
}
