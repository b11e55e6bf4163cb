#!/usr/bin/env bash
# Installs Synapse (the Matrix homeserver the bot's tests talk to) from PyPI
# into a cached virtualenv and prints the venv's python. Reused across runs.
set -euo pipefail
venv="${AKUTLINJE_SYNAPSE_VENV:-$HOME/.cache/akutlinje-synapse-venv}"
version="${AKUTLINJE_SYNAPSE_VERSION:-1.163.2}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import synapse, sys; sys.exit(0 if synapse.__version__ == '$version' else 1)" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    "$venv/bin/pip" install --quiet "matrix-synapse==$version" >&2
fi
echo "$venv/bin/python"
