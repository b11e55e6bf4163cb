//! The `akutlinje` program: command line, configuration, HTTP API, console,
//! and the wiring of every crate. The only crate that knows them all.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod api;
pub mod app;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
pub mod login;
pub mod metrics;
pub mod oncall;
pub mod startup;
pub mod time;
pub mod voice;
pub mod web;

#[cfg(test)]
mod hazards;
#[cfg(test)]
mod no_words;
