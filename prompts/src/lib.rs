//! The checklist definitions and every text akutlinje says or writes, as data.
//!
//! This crate owns no logic. The files under `checklists/` (TOML),
//! `lexicon/` (TOML, staff's own words) and `locales/<lang>/` (Fluent) are compiled into the binary so a deployment is
//! one file; `akutlinje-core` parses them. Change a text here, not in code.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The acute checklist definition (TOML).
pub const ACUTE_CHECKLIST: &str = include_str!("../checklists/acute.toml");

/// Staff's own words per language (TOML): the phrases, stems and negations
/// the danger-sign and consciousness questions understand.
pub const LEXICONS: &[(&str, &str)] = &[
    ("da", include_str!("../lexicon/da.toml")),
    ("en", include_str!("../lexicon/en.toml")),
];

/// Fluent resources per language: (language tag, [(file name, content)]).
pub const LOCALES: &[(&str, &[(&str, &str)])] = &[
    (
        "da",
        &[
            ("checklist.ftl", include_str!("../locales/da/checklist.ftl")),
            ("summary.ftl", include_str!("../locales/da/summary.ftl")),
            ("web.ftl", include_str!("../locales/da/web.ftl")),
            ("phone.ftl", include_str!("../locales/da/phone.ftl")),
            ("voice.ftl", include_str!("../locales/da/voice.ftl")),
        ],
    ),
    (
        "en",
        &[
            ("checklist.ftl", include_str!("../locales/en/checklist.ftl")),
            ("summary.ftl", include_str!("../locales/en/summary.ftl")),
            ("web.ftl", include_str!("../locales/en/web.ftl")),
            ("phone.ftl", include_str!("../locales/en/phone.ftl")),
            ("voice.ftl", include_str!("../locales/en/voice.ftl")),
        ],
    ),
];
