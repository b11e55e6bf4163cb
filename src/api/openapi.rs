//! The API contract: OpenAPI 3.1, generated from the handlers' own
//! `#[utoipa::path]` attributes and the domain types' schemas, and served at
//! `/api/v1/openapi.json`. The routes are registered from the same
//! attributes (`utoipa_axum::routes!`), so a route cannot exist without its
//! description, nor the other way round.
//!
//! What every operation shares is added here once: the bearer token, and
//! the error answers (`{"error": …}`) any of them can give.

use serde::Serialize;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr};
use utoipa::{Modify, ToSchema};

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in English.
    pub error: String,
    /// Per field or per row, where there is more to say (422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "akutlinje API",
        description = "The acute hotline between nursing homes and on-call hospital physicians: \
cases and their record, residents and their treatment decisions, early-warning scores, \
on-call rotas, Matrix rooms bound to homes.\n\n\
Every operation needs a personal API token (`Authorization: Bearer …`; `akutlinje tokens issue`). \
The role decides what it may do; staff only ever see their own home, and \"not yours\" \
answers like \"does not exist\" (404). Every read of a resident's data is logged.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "cases", description = "Cases and their append-only record"),
        (name = "residents", description = "Residents and their treatment decisions"),
        (name = "scores", description = "NEWS2 and TOBS"),
        (name = "rota", description = "Who is on call, and the rota's gaps"),
        (name = "homes", description = "Matrix rooms and municipal alternatives of a home"),
        (name = "access", description = "Who read a resident's record"),
    )
)]
/// The contract's fixed parts: what the API is, its tags, what every
/// operation shares. The operations come from the router (`super::routes`).
pub struct ApiDoc;

/// Adds the bearer token and the error answers to every operation (after
/// the router has added the operations).
pub(super) struct Shared;

impl Modify for Shared {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token (`akutlinje tokens issue`)"))
                    .build(),
            ),
        );
        let errors: [(&str, &str); 6] = [
            ("401", "No token, or one that is not valid"),
            ("403", "Your role may not do this"),
            (
                "404",
                "Not found, or not yours to see (the same answer, on purpose)",
            ),
            (
                "422",
                "The request is understood but wrong; `error` says what",
            ),
            ("503", "The database is unavailable; try again"),
            (
                "500",
                "Internal error (logged with its cause, answered without it)",
            ),
        ];
        for item in api.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                for (status, description) in errors {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(status, description));
                }
            }
        }
    }
}

fn error_response(status: &str, description: &str) -> RefOr<Response> {
    let mut r = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    );
    if status == "401" {
        r = r.header(
            "WWW-Authenticate",
            HeaderBuilder::new().description(Some("`Bearer`")).build(),
        );
    }
    r.build().into()
}
