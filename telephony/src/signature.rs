//! X-Twilio-Signature: an HMAC over the URL Twilio requested and the form
//! parameters, as Twilio's helper libraries compute it.
//!
//! The string signed is the full URL followed by every parameter name and
//! value, names sorted, each name's distinct values sorted. Twilio's own
//! validators accept the URL both with and without the default port
//! (`https://host:443/...`), because Twilio's edge signs either form; so do
//! we. The algorithm is configured (HMAC-SHA1 keyed with the auth token, or
//! HMAC-SHA256): the `X-Twilio-Webhooks-Signature-Settings` header a request
//! carries is never followed, so a forger cannot choose the check.

use base64::Engine as _;
use hmac::{Hmac, Mac};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// How a webhook was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA1 with the auth token (`X-Twilio-Signature`, the default).
    HmacSha1,
    /// HMAC-SHA256 with the webhook key.
    HmacSha256,
}

/// The text that is signed.
fn payload(url: &str, params: &[(String, String)]) -> String {
    let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut s = url.to_string();
    for name in names {
        let mut values: Vec<&str> = params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        values.sort_unstable();
        values.dedup();
        for v in values {
            s.push_str(name);
            s.push_str(v);
        }
    }
    s
}

fn mac_bytes(key: &[u8], data: &[u8], alg: Algorithm) -> Vec<u8> {
    // Hmac accepts keys of any length, so these cannot fail.
    match alg {
        Algorithm::HmacSha1 => match Hmac::<sha1::Sha1>::new_from_slice(key) {
            Ok(mut m) => {
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
        Algorithm::HmacSha256 => match Hmac::<sha2::Sha256>::new_from_slice(key) {
            Ok(mut m) => {
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
    }
}

/// The signature of a request to `url` with form `params` (base64).
pub fn sign(key: &[u8], url: &str, params: &[(String, String)], alg: Algorithm) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac_bytes(
        key,
        payload(url, params).as_bytes(),
        alg,
    ))
}

/// Whether `signature` is valid for a request to `url` with `params`.
/// Compared in constant time; the URL is tried with and without its
/// default port.
pub fn verify(
    key: &[u8],
    url: &str,
    params: &[(String, String)],
    signature: &str,
    alg: Algorithm,
) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let (without, with) = port_forms(url);
    // Both forms are always checked so timing does not tell which matched.
    let a = constant_eq(
        &mac_bytes(key, payload(&without, params).as_bytes(), alg),
        &given,
    );
    let b = constant_eq(
        &mac_bytes(key, payload(&with, params).as_bytes(), alg),
        &given,
    );
    a | b
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The URL without any port, and with the scheme's default port when it
/// has none (as Twilio's validators try them).
fn port_forms(url: &str) -> (String, String) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), url.to_string());
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    // An IPv6 literal keeps its colons inside the brackets.
    let port_at = match hostport.rfind(']') {
        Some(b) => hostport[b..].find(':').map(|i| b + i),
        None => hostport.rfind(':'),
    };
    let (host, port) = match port_at {
        Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
        None => (hostport, None),
    };
    let without = format!("{scheme}://{userinfo}{host}{tail}");
    let with = match port {
        Some(_) => url.to_string(),
        None => {
            let default = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            format!("{scheme}://{userinfo}{host}:{default}{tail}")
        }
    };
    (without, with)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The value Twilio's Python library (`RequestValidator("12345")`,
    /// twilio 9.13) computes for its documentation's example request.
    #[test]
    fn matches_twilios_python_library() {
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let sig = sign(b"12345", url, &params, Algorithm::HmacSha1);
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify(b"12345", url, &params, &sig, Algorithm::HmacSha1));
        // With the default port the same signature holds.
        assert!(verify(
            b"12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            &sig,
            Algorithm::HmacSha1
        ));
        assert!(!verify(b"12346", url, &params, &sig, Algorithm::HmacSha1));
        assert!(!verify(
            b"12345",
            url,
            &params,
            "not base64!",
            Algorithm::HmacSha1
        ));
        assert!(!verify(b"12345", url, &params, "", Algorithm::HmacSha1));
    }

    #[test]
    fn port_forms_cover_default_and_explicit_ports() {
        assert_eq!(
            port_forms("http://127.0.0.1:8080/a?b=1"),
            (
                "http://127.0.0.1/a?b=1".into(),
                "http://127.0.0.1:8080/a?b=1".into()
            )
        );
        assert_eq!(
            port_forms("https://x.dk"),
            ("https://x.dk".into(), "https://x.dk:443".into())
        );
        assert_eq!(
            port_forms("http://[::1]:99/p").0,
            "http://[::1]/p".to_string()
        );
    }
}
