#!/usr/bin/env bash
# Installs Twilio's own Python helper library from PyPI into a cached
# virtualenv and prints the venv's python. The telephony tests use it as the
# reference: its RequestValidator signs webhooks, its REST client shows what
# a real Twilio client sends.
set -euo pipefail
venv="${AKUTLINJE_TWILIO_VENV:-$HOME/.cache/akutlinje-twilio-venv}"
version="${AKUTLINJE_TWILIO_VERSION:-9.13.0}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import twilio, sys; sys.exit(0 if twilio.__version__ == '$version' else 1)" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    "$venv/bin/pip" install --quiet "twilio==$version" >&2
fi
echo "$venv/bin/python"
