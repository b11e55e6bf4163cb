#!/usr/bin/env bash
# Signed Twilio webhooks at a fixed rate, measured by a load generator nobody
# here wrote (hey, Debian package `hey`), against the release build:
#   bash benches/load/twilio-webhooks.sh [RATE] [SECONDS]
# The webhook is an SMS from a number the hotline does not know (signature
# checked, sender looked up, a TwiML answer), signed with Twilio's own
# Python helper library (RequestValidator.compute_signature). The anchor is
# /healthz at the same rate in the same run: what the HTTP stack costs alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
rate="${1:-200}"; seconds="${2:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/akutlinje-target}"
bin="$CARGO_TARGET_DIR/release/akutlinje"
[ -x "$bin" ] || cargo build --release --locked --bin akutlinje
py="${AKUTLINJE_TWILIO_PYTHON:-$(bash scripts/twilio-venv.sh)}"
command -v hey >/dev/null || { echo "install hey (apt-get install hey)" >&2; exit 1; }
work="$(mktemp -d)"; trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
token=0123456789abcdef0123456789abcdef
base="http://127.0.0.1:$port"
( cd "$work" && AKUTLINJE_DATABASE_URL="sqlite://$work/load.db" AKUTLINJE_LOG=warn \
  AKUTLINJE_TWILIO_ACCOUNT_SID=AC00000000000000000000000000000001 AKUTLINJE_TWILIO_AUTH_TOKEN=$token \
  AKUTLINJE_TWILIO_FROM=+4570100100 AKUTLINJE_TWILIO_PUBLIC_URL="$base" \
  AKUTLINJE_TWILIO_API_BASE=http://127.0.0.1:9 AKUTLINJE_VOICE_MODEL="$work/none.bin" \
  exec "$bin" serve --demo --bind "127.0.0.1:$port" ) >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
body='AccountSid=AC00000000000000000000000000000001&Body=hej&From=%2B4599999999&MessageSid=SM0000000000000000000000000000load&To=%2B4570100100'
sig="$("$py" - "$token" "$base/twilio/sms/incoming" <<'PY'
import sys
from twilio.request_validator import RequestValidator
token, url = sys.argv[1], sys.argv[2]
params = {"AccountSid": "AC00000000000000000000000000000001", "Body": "hej", "From": "+4599999999",
          "MessageSid": "SM0000000000000000000000000000load", "To": "+4570100100"}
print(RequestValidator(token).compute_signature(url, params))
PY
)"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" -H 'Content-Type: application/x-www-form-urlencoded' --data "$body" "$base/twilio/sms/incoming")"
[ "$code" = 200 ] || { echo "the signed webhook answered $code" >&2; cat "$work/serve.log" >&2; exit 1; }
workers=4; per=$(( rate / workers ))
echo "== signed Twilio SMS webhook, $rate requests/s for $seconds s (hey -c $workers -q $per)"
hey -z "${seconds}s" -c "$workers" -q "$per" -m POST -T application/x-www-form-urlencoded \
    -H "X-Twilio-Signature: $sig" -d "$body" "$base/twilio/sms/incoming" \
    | grep -E 'Requests/sec|Average|Slowest|Fastest|50%|90%|99%|\[2|\[4|\[5|Error'
echo "== anchor: GET /healthz at the same rate"
hey -z "${seconds}s" -c "$workers" -q "$per" "$base/healthz" \
    | grep -E 'Requests/sec|Average|50%|90%|99%|\[2|\[4|\[5'
echo "server RSS after: $(ps -o rss= -p $pid | awk '{printf "%.1f MiB", $1/1024}')"
