#!/usr/bin/env bash
# Installs faster-whisper (CTranslate2) from PyPI into a cached virtualenv and
# prints the venv's python: the engine the transcription benchmark measures
# whisper-rs against, on the same weights (scripts/fetch-model's ct2-base).
set -euo pipefail
venv="${AKUTLINJE_FASTER_WHISPER_VENV:-$HOME/.cache/akutlinje-faster-whisper-venv}"
version="${AKUTLINJE_FASTER_WHISPER_VERSION:-1.1.1}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import faster_whisper.transcribe, faster_whisper, sys; sys.exit(0 if faster_whisper.__version__ == '$version' else 1)" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    # faster-whisper imports requests without declaring it.
    "$venv/bin/pip" install --quiet "faster-whisper==$version" requests >&2
fi
echo "$venv/bin/python"
