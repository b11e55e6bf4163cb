#!/usr/bin/env bash
# Installs openapi-spec-validator and schemathesis (PyPI) into a cached
# virtualenv and prints the venv's bin directory. The API contract tests
# validate /api/v1/openapi.json with the one and fuzz the API against it
# with the other: tools nobody here wrote.
set -euo pipefail
venv="${AKUTLINJE_OPENAPI_VENV:-$HOME/.cache/akutlinje-openapi-venv}"
schemathesis="${AKUTLINJE_SCHEMATHESIS_VERSION:-4.32.5}"
validator="${AKUTLINJE_OPENAPI_VALIDATOR_VERSION:-0.9.0}"
if [ ! -x "$venv/bin/schemathesis" ] || [ ! -x "$venv/bin/openapi-spec-validator" ] \
    || ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if (m.version('schemathesis'), m.version('openapi-spec-validator')) == ('$schemathesis', '$validator') else 1)" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    "$venv/bin/pip" install --quiet "schemathesis==$schemathesis" "openapi-spec-validator==$validator" >&2
fi
echo "$venv/bin"
