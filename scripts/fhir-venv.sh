#!/usr/bin/env bash
# Installs fhir.resources (PyPI; 5.1.1 is FHIR R4 4.0.1) into a cached
# virtualenv and prints the venv's python. The FHIR export tests validate
# every exported Bundle with it: a FHIR library nobody here wrote.
set -euo pipefail
venv="${AKUTLINJE_FHIR_VENV:-$HOME/.cache/akutlinje-fhir-venv}"
version="${AKUTLINJE_FHIR_VERSION:-5.1.1}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import fhir.resources, sys; sys.exit(0 if fhir.resources.__version__.startswith('5.1') else 1)" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    "$venv/bin/pip" install --quiet "fhir.resources==$version" >&2
fi
echo "$venv/bin/python"
