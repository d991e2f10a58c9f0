#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle of Hookscope and smoke-test it (packaging/BUNDLES.md).
#
#   bash packaging/build-bundle.sh
#
# Environment (all optional):
#   PYTHON       the interpreter whose environment has Hookscope installed (default: the
#                project's .venv/bin/python); PyInstaller is installed into it
#   DIST_DIR     where the bundle goes: DIST_DIR/hookscope/hookscope (default: dist/ at the repo
#                root when git ignores it, else ${TMPDIR:-/tmp}/hookscope-bundle/dist)
#   WORK_DIR     PyInstaller's work folder (default: build/pyinstaller likewise, or beside DIST_DIR)
#   SKIP_INSTALL=1         do not pip-install PyInstaller (it must be there already)
#   SKIP_GUI_RUN=1         skip the last smoke test (the window listening and capturing a POST)
#   PYINSTALLER_LOG_LEVEL  PyInstaller's --log-level (default WARN)
# Exits non-zero when the build or any smoke test fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
SPEC=$ROOT/packaging/hookscope.spec

say() { printf '== %s\n' "$*"; }
fail() {
    printf 'build-bundle: %s\n' "$*" >&2
    exit 1
}

# Build outputs stay out of the work tree unless git ignores where they go.
ignored() { git -C "$ROOT" check-ignore -q "$1" 2>/dev/null; }
if [[ -z ${DIST_DIR:-} ]]; then
    if ignored dist/hookscope; then
        DIST_DIR=$ROOT/dist
    else
        DIST_DIR=${TMPDIR:-/tmp}/hookscope-bundle/dist
    fi
fi
if [[ -z ${WORK_DIR:-} ]]; then
    if ignored build/pyinstaller; then
        WORK_DIR=$ROOT/build/pyinstaller
    else
        WORK_DIR=$(dirname "$DIST_DIR")/pyinstaller-work
    fi
fi
mkdir -p "$DIST_DIR" "$WORK_DIR"
DIST_DIR=$(cd "$DIST_DIR" && pwd)
WORK_DIR=$(cd "$WORK_DIR" && pwd)
BUNDLE=$DIST_DIR/hookscope
EXE=$BUNDLE/hookscope

[[ -x $PYTHON ]] || command -v "$PYTHON" >/dev/null || fail "no Python at $PYTHON (set PYTHON=)"
"$PYTHON" -c 'import hookscope.cli' || fail "hookscope is not installed in $PYTHON's environment"

if [[ ${SKIP_INSTALL:-0} != 1 ]]; then
    say "installing PyInstaller into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check "pyinstaller>=6.10"
fi
say "PyInstaller $("$PYTHON" -m PyInstaller --version), $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"

say "building $BUNDLE (work folder $WORK_DIR)"
started=$SECONDS
"$PYTHON" -m PyInstaller "$SPEC" --noconfirm --clean \
    --distpath "$DIST_DIR" --workpath "$WORK_DIR" \
    --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}"
say "build time: $((SECONDS - started)) s"
[[ -x $EXE ]] || fail "the build made no executable at $EXE"

# The smoke tests never touch the user's own data, settings or secrets key.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/hookscope-smoke.XXXXXX")
GUI_PID=
cleanup() {
    if [[ -n $GUI_PID ]] && kill -0 "$GUI_PID" 2>/dev/null; then
        kill -KILL "$GUI_PID" 2>/dev/null || true
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
export XDG_CONFIG_HOME=$SCRATCH/config XDG_DATA_HOME=$SCRATCH/share XDG_CACHE_HOME=$SCRATCH/cache
export QT_QPA_PLATFORM=offscreen

say "smoke test: hookscope --version"
version=$("$EXE" --version) || fail "hookscope --version failed"
printf '%s\n' "$version"
[[ $version =~ ^hookscope\ [0-9] ]] || fail "no version from the package metadata: $version"

say "smoke test: hookscope selfcheck --gui (offscreen)"
if ! "$EXE" selfcheck --gui --data-dir "$SCRATCH/selfcheck"; then
    fail "the bundled self-check failed"
fi

if [[ ${SKIP_GUI_RUN:-0} != 1 ]]; then
    say "smoke test: the window listens and captures a POST (offscreen)"
    "$EXE" --data-dir "$SCRATCH/gui" --port 0 --api-port 0 >"$SCRATCH/gui.out" 2>&1 &
    GUI_PID=$!
    url=
    for _ in $(seq 300); do
        url=$(sed -n 's|^listening on \(http://[^ ]*\)$|\1|p' "$SCRATCH/gui.out" | head -n 1)
        [[ -n $url ]] && break
        kill -0 "$GUI_PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n $url ]] || fail "the window never said where it listens: $(cat "$SCRATCH/gui.out")"
    printf 'listening on %s\n' "$url"
    if command -v curl >/dev/null; then
        answer=$(curl -sS -X POST "$url/kardow" -H 'Content-Type: application/json' \
            -d '{"event":"job.created"}')
    else
        answer=$("$PYTHON" -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1], data=b"{\"event\":\"job.created\"}", method="POST",
              headers={"Content-Type": "application/json"})
print(u.urlopen(r, timeout=10).read().decode())' "$url/kardow")
    fi
    printf 'POST %s/kardow -> %s\n' "$url" "$answer"
    [[ $answer == '{"ok": true, "capture_id": 1}' ]] || fail "unexpected answer: $answer"
    kill -TERM "$GUI_PID"
    status=0
    wait "$GUI_PID" || status=$?
    GUI_PID=
    [[ $status == 0 ]] || fail "the window exited $status after SIGTERM: $(cat "$SCRATCH/gui.out")"
    printf 'SIGTERM -> exit %s\n' "$status"
fi

say "bundle size: $(du -sh "$BUNDLE" | cut -f1) ($BUNDLE)"
say "bundle OK: $EXE"
