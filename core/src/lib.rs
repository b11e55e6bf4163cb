//! The domain of akutlinje, without I/O.
//!
//! This crate owns what the hotline *means*: residents and their treatment
//! decisions ([`resident`]), the people who use it ([`person`]), vital signs and
//! the two early-warning scores ([`vitals`], [`news2`], [`tobs`]), the checklist
//! engine ([`engine`]), the ISBAR summary ([`isbar`]), the append-only case
//! record and access log ([`record`]), and the storage port ([`store`]) that
//! `akutlinje-store` implements. [`service`] drives the engine against that port.
//!
//! Key design decision: everything here is deterministic. The engine takes
//! its input and returns effects as values; time, ids and randomness come in
//! from the caller. Every channel — console, Matrix, telephone — drives the same
//! engine, and none of them holds clinical logic.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// `as_str` and `parse` for enums whose names strum derives in snake_case
/// (the names serde writes; a test in `assessment` holds them equal).
macro_rules! snake_case_names {
    ($($t:ty),+ $(,)?) => {$(
        impl $t {
            /// The snake_case name (as serde writes it).
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// Parses the snake_case name.
            pub fn parse(s: &str) -> Option<$t> {
                s.parse().ok()
            }
        }
    )+};
}
pub(crate) use snake_case_names;

pub mod alternatives;
pub mod assessment;
pub mod engine;
pub mod escalation;
pub mod fhir;
pub mod figures;
pub mod followup;
pub mod i18n;
pub mod ids;
pub mod isbar;
pub mod news2;
pub mod person;
pub mod phone;
pub mod record;
pub mod reply;
pub mod resident;
pub mod roster;
pub mod rota;
mod schema;
pub mod sentences;
pub mod service;
pub mod store;
pub mod tobs;
pub mod trend;
pub mod video;
pub mod vitals;
