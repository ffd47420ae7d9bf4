#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a fresh, unlocked
# gnome-keyring (Secret Service), so keytar talks to a real keychain that
# nothing else on the machine can see and that is gone afterwards.
#
#   scripts/with-keyring.sh <command> [args...]
#
# The command's exit code is this script's exit code. Used by scripts/test.sh
# and the benchmark. Needs the Debian packages `dbus` and `gnome-keyring`.
#
# Why a fresh folder: gnome-keyring keeps its keyrings under
# $XDG_DATA_HOME/keyrings. A keyring file left over from an earlier run (or the
# developer's own) may be locked with another password, and then every write
# fails with "Cannot create an item in a locked collection".
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

missing=0
need() { # need <executable> <apt package>
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "with-keyring: '$1' is missing. Install it with: apt-get install $2" >&2
    missing=1
  fi
}
need dbus-run-session dbus
need dbus-send dbus
need gnome-keyring-daemon gnome-keyring
if [[ $missing -ne 0 ]]; then
  exit 1
fi

keyring_tmp="$(mktemp -d "${TMPDIR:-/tmp}/with-keyring.XXXXXXXX")"
cleanup() {
  # The daemon leaves when its bus goes away; a late write must not fail the run.
  rm -rf "$keyring_tmp" 2>/dev/null || { sleep 0.2; rm -rf "$keyring_tmp" 2>/dev/null || true; }
}
trap cleanup EXIT

mkdir -p "$keyring_tmp/data" "$keyring_tmp/runtime"
chmod 700 "$keyring_tmp" "$keyring_tmp/runtime"
export XDG_DATA_HOME="$keyring_tmp/data"
export XDG_RUNTIME_DIR="$keyring_tmp/runtime"
# Nothing from an outer desktop session may leak in: the command must reach
# only the private bus and the private keyring.
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL GNOME_KEYRING_PID SSH_AUTH_SOCK

# Inside the session: start the daemon, unlocking (and so creating) the login
# keyring with a throwaway password, export what it prints, wait until the
# Secret Service name is on the bus, then run the command.
inner='
set -euo pipefail
password="with-keyring-$$-$RANDOM$RANDOM"
if ! daemon_env="$(printf "%s" "$password" | gnome-keyring-daemon --unlock --components=secrets)"; then
  echo "with-keyring: gnome-keyring-daemon --unlock failed" >&2
  exit 1
fi
# It prints NAME=value lines (GNOME_KEYRING_CONTROL=..., maybe SSH_AUTH_SOCK=...), or nothing.
while IFS= read -r line; do
  if [[ "$line" =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]]; then
    export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
  fi
done <<<"$daemon_env"

for _ in $(seq 1 50); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
    exec "$@"
  fi
  sleep 0.1
done
echo "with-keyring: the Secret Service (org.freedesktop.secrets) did not appear on the private D-Bus session" >&2
exit 1
'

# The private bus logs to stderr. Two kinds of its lines are noise and are
# dropped: as root without CAP_SYS_RESOURCE it cannot raise its fd limit
# ("AccessDenied: Failed to set fd limit"), and it reports each service it
# starts on demand (e.g. Chromium asks for org.a11y.Bus). Its other lines (a
# service that failed to start) and all of the command's stderr pass through.
bus_noise='^dbus-daemon\[[0-9]+\]: \[session [^]]*\] (org\.freedesktop\.DBus\.Error\.AccessDenied: Failed to set fd limit|Activating service name=|Successfully activated service )'
# stdout is untouched; stderr goes through the filter (set +e: a pipeline in
# which grep selects nothing must not end the script).
set +e
{ dbus-run-session -- bash -c "$inner" with-keyring "$@" 2>&1 1>&3 3>&- | grep --line-buffered -v -E "$bus_noise" >&2; } 3>&1
status=${PIPESTATUS[0]}
set -e
exit "$status"
