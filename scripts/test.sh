#!/usr/bin/env bash
# What `npm test` runs:
#   1. type-checks the main/test/scripts project and the renderer project;
#   2. runs every test/**/*.test.ts with node's built-in test runner (one file
#      at a time), inside a private D-Bus session with a fresh, unlocked
#      gnome-keyring (scripts/with-keyring.sh), so the keychain tests use a
#      real keychain that nothing else can see.
#
#   npm test                                       # everything
#   npm test -- test/unit/keytar-vault.test.ts     # only these files
#   npm test -- test/unit                          # every *.test.ts under a folder
#   npm test -- --test-name-pattern=contract       # flags go to `node --test`
#
# Flags for node must use the --flag=value form (a bare word is taken as a
# file or folder). TEST_SKIP_TYPECHECK=1 skips step 1 and TEST_SKIP_LINT=1 step 2, for quick iterations.
# The exit code is the test runner's (or tsc's, if the type-check fails).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- prerequisites: fail loudly, saying what to install -----------------------
missing=0
need() { # need <path or executable> <apt package>
  if [[ "$1" == /* ]]; then
    [[ -x "$1" ]] && return 0
  elif command -v "$1" >/dev/null 2>&1; then
    return 0
  fi
  echo "test.sh: '$1' is missing. Install it with: apt-get install $2" >&2
  missing=1
}
need dbus-run-session dbus
need dbus-send dbus
need gnome-keyring-daemon gnome-keyring
need /usr/bin/chromium chromium
if [[ ! -d node_modules/tsx || ! -d node_modules/typescript ]]; then
  echo "test.sh: node_modules is missing or incomplete. Run: npm ci" >&2
  missing=1
fi
if [[ $missing -ne 0 ]]; then
  exit 1
fi

# --- which test files (checked before anything slow) ------------------------
flags=()
paths=()
for arg in "$@"; do
  if [[ "$arg" == -* ]]; then flags+=("$arg"); else paths+=("$arg"); fi
done
if [[ ${#paths[@]} -eq 0 ]]; then
  paths=(test)
fi

files=()
for path in "${paths[@]}"; do
  if [[ -d "$path" ]]; then
    while IFS= read -r file; do files+=("$file"); done < <(find "$path" -name '*.test.ts' -not -path '*/node_modules/*' | sort)
  elif [[ -f "$path" ]]; then
    files+=("$path")
  else
    echo "test.sh: no such test file or folder: $path" >&2
    exit 1
  fi
done
if [[ ${#files[@]} -eq 0 ]]; then
  echo "test.sh: no *.test.ts files found under: ${paths[*]}" >&2
  exit 1
fi

# --- 1. type-check ---------------------------------------------------------------
if [[ "${TEST_SKIP_TYPECHECK:-}" != "1" ]]; then
  echo "== type-check: tsconfig.json"
  npx --no-install tsc -p tsconfig.json --noEmit
  if [[ -n "$(find renderer -path renderer/node_modules -prune -o \( -name '*.ts' -o -name '*.tsx' \) -print -quit 2>/dev/null)" ]]; then
    echo "== type-check: renderer/tsconfig.json"
    npx --no-install tsc -p renderer/tsconfig.json --noEmit
  else
    echo "== type-check: renderer/tsconfig.json skipped (no .ts files in renderer/ yet)"
  fi
fi

# --- 2. Electronegativity over the sources and the built bundles ---------------
if [[ "${TEST_SKIP_LINT:-}" != "1" ]]; then
  echo "== build (for the bundle scan and the renderer tests)"
  node scripts/build.mjs
  echo "== Electronegativity: fails on any finding of medium severity or higher"
  node scripts/electronegativity.mjs
fi

# --- 3. tests ---------------------------------------------------------------------
results="$(mktemp -d "${TMPDIR:-/tmp}/oidc-desktop-test.XXXXXXXX")"
trap 'rm -rf "$results"' EXIT

echo "== tests: ${#files[@]} file(s), inside a private D-Bus session with a fresh gnome-keyring"
# Human-readable spec output on stdout; TAP to a file for the closing summary.
status=0
bash scripts/with-keyring.sh \
  node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$results/results.tap" \
  "${flags[@]}" "${files[@]}" || status=$?

# The closing lines of node's test runner (TAP), then one plain line.
summary="$(grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$results/results.tap" 2>/dev/null || true)"
if [[ -z "$summary" ]]; then
  echo "test.sh: the test runner wrote no summary (exit code $status)" >&2
  [[ $status -ne 0 ]] || status=1
  exit "$status"
fi
echo
echo "$summary"
count() { awk -v k="$1" '$1 == "#" && $2 == k { print $3 }' <<<"$summary" | tail -n 1; }
passed="$(count pass)"
failed="$(count fail)"
cancelled="$(count cancelled)"
failed=$(( ${failed:-0} + ${cancelled:-0} ))
echo "${passed:-0} passed, ${failed} failed"
if [[ $status -eq 0 && $failed -ne 0 ]]; then
  status=1
fi
exit "$status"
