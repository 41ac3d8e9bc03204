#!/usr/bin/env bash
# Installs the package on this machine as an operator would (as root), checks what it installed,
# runs `amosync init --offline` and `amosync check --offline` against the installed files, verifies
# the installed units, then removes and purges it and checks that nothing is left behind.
#   packaging/deb/test-install.sh .build/deb/amosync_<version>_amd64.deb
set -euo pipefail
deb=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "test-install.sh: run as root (it installs a package)"; exit 1; }
if dpkg -s amosync >/dev/null 2>&1; then echo "test-install.sh: amosync is already installed here; not touching it"; exit 1; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-install.sh: $*"; exit 1; }
expect_mode() {  # expect_mode PATH "MODE OWNER:GROUP"
  local got; got=$(stat -c '%a %U:%G' "$1")
  [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}

echo "== dpkg -i $(basename "$deb")"
dpkg -i "$deb" | tee "$tmp/install.log"
grep -q "amosync is installed but not configured" "$tmp/install.log" || fail "postinst did not print the next step"
amosync --version | tee "$tmp/version"
grep -q "(commit [0-9a-f]" "$tmp/version" || fail "--version names no commit"
getent passwd amosync >/dev/null || fail "no amosync user"
expect_mode /etc/amosync "750 root:amosync"
expect_mode /etc/amosync/config.json "640 root:amosync"
expect_mode /var/lib/amosync "750 amosync:amosync"
for unit in amosync.service amosync@.service amosync.socket; do [ -f "/lib/systemd/system/$unit" ] || fail "no $unit"; done
for file in prometheus/amosync.rules.yml grafana/amosync-dashboard.json; do
  [ -f "/usr/share/amosync/$file" ] || fail "no /usr/share/amosync/$file"
done
grep -q '^ExecStart=/usr/bin/amosync serve' /lib/systemd/system/amosync.service || fail "the unit does not run /usr/bin/amosync"
zcat /usr/share/man/man1/amosync.1.gz | grep -q '^\.SH "AMOSYNC INIT"' || fail "the manual page lacks amosync init"

echo "== systemd-analyze verify (installed units)"
out=$(systemd-analyze verify --man=no /lib/systemd/system/amosync.socket /lib/systemd/system/amosync.service 2>&1 || true)
[ -z "$out" ] || fail "systemd-analyze verify: $out"

echo "== amosync init --offline, amosync check --offline"
printf 'eyJhbGciOiJIUzI1NiJ9.eyJhcGlfZG9tYWluIjoiY2ktc2hvcC5hbW9jcm0ucnUifQ.c2lnbmF0dXJl\n' >"$tmp/token"
amosync init --offline --subdomain ci-shop --long-lived-token-file "$tmp/token"
expect_mode /etc/amosync/config.json "640 root:amosync"
expect_mode /etc/amosync/amosync.env "600 root:root"
amosync check --offline
if amosync init --offline --subdomain ci-shop --long-lived-token-file "$tmp/token" 2>"$tmp/again"; then fail "a second init overwrote the config"; fi
grep -q "already exists" "$tmp/again" || fail "a second init did not say why it refused"

echo "== dpkg -r: program gone, config, queue and user kept"
dpkg -r amosync
[ ! -e /usr/bin/amosync ] || fail "/usr/bin/amosync left after remove"
[ -f /etc/amosync/config.json ] && [ -d /var/lib/amosync ] && getent passwd amosync >/dev/null || fail "remove deleted what only purge may"

echo "== dpkg -P: nothing left"
dpkg -P amosync
if dpkg -L amosync >/dev/null 2>&1; then fail "dpkg still lists amosync"; fi
for path in /etc/amosync /var/lib/amosync /lib/systemd/system/amosync.service /usr/share/doc/amosync; do
  [ ! -e "$path" ] || fail "$path left after purge"
done
if getent passwd amosync >/dev/null || getent group amosync >/dev/null; then fail "the amosync user or group is left after purge"; fi
echo "test-install.sh: install, init, check, remove and purge all behave"
