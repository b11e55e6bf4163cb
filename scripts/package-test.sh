#!/usr/bin/env bash
# The Debian package, as an operator meets it: built with cargo-deb from the
# binary the tests just built (PROFILE=dev; a release is `cargo deb`),
# installed with dpkg -i, the installed binary started as its own user with
# the packaged configuration, then purged again. Needs root (dpkg); run by
# scripts/test.sh after the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-dev}"
say() { printf '== package: %s\n' "$*"; }
fail() { printf 'package test FAILED: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
    echo "package test skipped: dpkg -i needs root" >&2
    exit 0
fi
if dpkg -s akutlinje >/dev/null 2>&1; then
    fail "akutlinje is already installed on this machine; the test will not touch it"
fi
work="$(mktemp -d /tmp/akutlinje-package.XXXXXX)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    dpkg --purge akutlinje >/dev/null 2>&1 || true
    rm -rf /var/lib/akutlinje "$work"
}
trap cleanup EXIT

say "cargo deb --no-build --profile $profile"
started=$(date +%s)
cargo deb --no-build --profile "$profile" --fast --output "$work/akutlinje.deb" >"$work/deb.log" 2>&1 \
    || { cat "$work/deb.log" >&2; fail "cargo deb"; }
ls -l "$work/akutlinje.deb"
dpkg-deb --info "$work/akutlinje.deb" | sed -n 's/^ *\(Package\|Version\|Depends\|Installed-Size\):/  &/p'
dpkg-deb --contents "$work/akutlinje.deb" | awk '{print "  " $6}' | grep -E 'usr/bin/|etc/|systemd|policies|checklists/' || true

say "dpkg -i"
dpkg -i "$work/akutlinje.deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
for f in /usr/bin/akutlinje /etc/akutlinje/akutlinje.toml /etc/akutlinje/akutlinje.env \
         /lib/systemd/system/akutlinje.service /usr/share/akutlinje/checklists/acute.toml \
         /usr/share/akutlinje/policies.toml /usr/share/doc/akutlinje/README.md; do
    [ -e "$f" ] || fail "$f is not installed"
done
getent passwd akutlinje >/dev/null || fail "no akutlinje user"
[ "$(stat -c %U /var/lib/akutlinje)" = akutlinje ] || fail "/var/lib/akutlinje is not the service's"
[ "$(stat -c %a /etc/akutlinje/akutlinje.env)" = 640 ] || fail "akutlinje.env is readable by others"
/usr/bin/akutlinje --version
/usr/bin/akutlinje --help | grep -q "serve" || fail "--help does not name serve"

say "the installed binary, as the unit starts it (user akutlinje, packaged configuration)"
exec_start="$(sed -n 's/^ExecStart=//p' /lib/systemd/system/akutlinje.service)"
[ "$exec_start" = "/usr/bin/akutlinje --config /etc/akutlinje/akutlinje.toml serve" ] || fail "ExecStart: $exec_start"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# The packaged configuration, with only the port changed (8080 may be taken here).
( cd /var/lib/akutlinje && exec runuser -u akutlinje -- env AKUTLINJE_BIND="127.0.0.1:$port" $exec_start ) \
    >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/readyz" || { cat "$work/serve.log" >&2; fail "the installed service does not answer"; }
echo
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q '^akutlinje_database_up 1' || fail "/metrics"
[ "$(stat -c %U /var/lib/akutlinje/akutlinje.db)" = akutlinje ] || fail "the database is not the service's"
kill -TERM "$server"; wait "$server" || true; server=""
echo "  served on 127.0.0.1:$port as akutlinje; database $(stat -c '%U %s bytes' /var/lib/akutlinje/akutlinje.db)"

say "dpkg --purge"
dpkg --purge akutlinje >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
grep -q "records in /var/lib/akutlinje are kept" "$work/purge.log" || fail "purge does not say the records are kept"
for f in /usr/bin/akutlinje /etc/akutlinje /lib/systemd/system/akutlinje.service /usr/share/akutlinje; do
    [ ! -e "$f" ] || fail "$f is left after purge"
done
getent passwd akutlinje >/dev/null && fail "the akutlinje user is left after purge"
[ -e /var/lib/akutlinje/akutlinje.db ] || fail "purge deleted the records"
echo "package test passed in $(( $(date +%s) - started )) s"
