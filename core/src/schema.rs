//! OpenAPI schemas for the types whose JSON form a derive cannot see: a
//! slug, a bounded vital sign, a temperature, a phone number. Written once
//! here so the published API contract says what the parsers accept.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// What `ids::parse_slug` accepts once trimmed and lower-cased.
pub(crate) const SLUG_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,63}$";

/// A string, optionally matching `pattern`.
pub(crate) fn string(description: &str, pattern: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(pattern)
        .into()
}

/// An integer within `min..=max`.
pub(crate) fn integer(description: &str, min: f64, max: f64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some(description))
        .minimum(Some(min))
        .maximum(Some(max))
        .into()
}

/// A number within `min..=max`.
pub(crate) fn number(description: &str, min: f64, max: f64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .description(Some(description))
        .minimum(Some(min))
        .maximum(Some(max))
        .into()
}

/// Implements `utoipa::ToSchema` for a type from an expression giving its
/// schema; the type is then a named component of the contract.
macro_rules! schema_from {
    ($t:ty, $schema:expr) => {
        impl utoipa::PartialSchema for $t {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema
            }
        }
        impl utoipa::ToSchema for $t {}
    };
}
pub(crate) use schema_from;
