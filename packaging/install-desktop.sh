#!/bin/sh
# Install Hookscope's menu entry, icons and AppStream metainfo for the current user, or remove them.
#
#   packaging/install-desktop.sh [--python PATH] [LAUNCHER]
#   packaging/install-desktop.sh --uninstall
#
# LAUNCHER is the installed `hookscope-gui` (default: the one on PATH). The icons are read from
# that installation's package, with the interpreter named in the launcher's first line (or
# --python). Files go under ${XDG_DATA_HOME:-$HOME/.local/share}; running it again updates them.
# --uninstall removes exactly those files, then the directories that are left empty by that.
set -eu

APP_ID=io.github.hookscope.Hookscope
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P)
# A relative XDG_DATA_HOME is invalid and ignored, as the XDG Base Directory specification says.
case ${XDG_DATA_HOME:-} in
    /*) DATA_HOME=${XDG_DATA_HOME%/} ;;
    *) DATA_HOME=${HOME:?HOME is not set}/.local/share ;;
esac
NEWLINE='
'

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "$0"
}

die() {
    printf 'install-desktop: %s\n' "$*" >&2
    exit 1
}

# The Exec= value for one absolute path, quoted as the Desktop Entry specification asks: inside
# double quotes \ " ` $ are backslash-escaped, then every \ is escaped again for the string value;
# a literal % is written %%.
exec_value() {
    case $1 in
        *[[:space:]\"\'\\\>\<~\|\&\;\$\*\?\#\(\)\`]*)
            printf '"%s"' "$(printf '%s' "$1" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g')"
            ;;
        *)
            printf '%s' "$1" | sed -e 's/%/%%/g'
            ;;
    esac
}

# A string value (TryExec=): only the backslash needs escaping.
string_value() {
    printf '%s' "$1" | sed -e 's/\\/\\\\/g'
}

# The interpreter a console script runs with: "#!/path/python", "#!/usr/bin/env python3", or
# pip's "#!/bin/sh" + "'''exec' "/path/python" ..." form for long paths or paths with spaces.
launcher_python() {
    first=$(sed -n '1p' "$1")
    case $first in
        '#!/bin/sh'*)
            sed -n "2s/^'''exec' \"\\([^\"]*\\)\".*/\\1/p;2s/^'''exec' \\([^ ]*\\) .*/\\1/p" "$1"
            ;;
        '#!'*)
            interpreter=${first#'#!'}
            set -f
            # shellcheck disable=SC2086 # the shebang's words: the interpreter and its argument
            set -- $interpreter
            set +f
            if [ "$(basename -- "$1")" = env ] && [ $# -ge 2 ]; then
                command -v -- "$2" || true
            else
                printf '%s\n' "$1"
            fi
            ;;
    esac
}

# Put $1 at $2 (mode 644), atomically, saying whether anything changed.
place() {
    if [ -f "$2" ] && cmp -s -- "$1" "$2"; then
        printf 'up to date  %s\n' "$2"
        return
    fi
    mkdir -p -- "$(dirname -- "$2")"
    cp -- "$1" "$2.tmp.$$"
    chmod 644 -- "$2.tmp.$$"
    mv -f -- "$2.tmp.$$" "$2"
    printf 'installed   %s\n' "$2"
}

# Run a cache tool only when it exists and that cache is already there: an entry without
# MimeType= needs no mimeinfo.cache, and a missing icon cache makes GTK read the folders.
refresh_caches() {
    if [ -f "$DATA_HOME/applications/mimeinfo.cache" ] \
        && command -v update-desktop-database >/dev/null 2>&1; then
        if update-desktop-database -q "$DATA_HOME/applications" 2>/dev/null; then
            printf 'updated     %s\n' "$DATA_HOME/applications/mimeinfo.cache"
        fi
    fi
    if [ -f "$DATA_HOME/icons/hicolor/icon-theme.cache" ] \
        && command -v gtk-update-icon-cache >/dev/null 2>&1; then
        if gtk-update-icon-cache -q -f -t "$DATA_HOME/icons/hicolor" 2>/dev/null; then
            printf 'updated     %s\n' "$DATA_HOME/icons/hicolor/icon-theme.cache"
        fi
    fi
}

# Every file this script installs, existing or not (one path a line).
installed_files() {
    printf '%s\n' "$DATA_HOME/applications/$APP_ID.desktop" \
        "$DATA_HOME/metainfo/$APP_ID.metainfo.xml" \
        "$DATA_HOME/icons/hicolor/scalable/apps/$APP_ID.svg"
    for dir in "$DATA_HOME"/icons/hicolor/*/apps; do
        [ -f "$dir/$APP_ID.png" ] && printf '%s\n' "$dir/$APP_ID.png"
    done
    return 0
}

uninstall() {
    installed_files | while IFS= read -r file; do
        [ -f "$file" ] || continue
        rm -f -- "$file"
        printf 'removed     %s\n' "$file"
        # Remove the folders this left empty, up to (never including) the data directory.
        dir=$(dirname -- "$file")
        while [ "$dir" != "$DATA_HOME" ] && rmdir -- "$dir" 2>/dev/null; do
            printf 'removed     %s/\n' "$dir"
            dir=$(dirname -- "$dir")
        done
    done
    refresh_caches
}

install() {
    launcher=$1
    python=$2
    if [ -z "$launcher" ]; then
        launcher=$(command -v hookscope-gui 2>/dev/null) \
            || die "hookscope-gui was not found on PATH. Install Hookscope first" \
                "(pipx install hookscope, or pip install hookscope in a virtual environment)," \
                "or give the launcher's path: $0 /path/to/hookscope-gui"
    fi
    if ! [ -f "$launcher" ] || ! [ -x "$launcher" ]; then
        die "$launcher is not an executable file: give the path of the installed hookscope-gui"
    fi
    case $launcher in
        /*) ;;
        *) launcher=$(CDPATH='' cd -- "$(dirname -- "$launcher")" && pwd)/$(basename -- "$launcher") ;;
    esac
    case $launcher in
        *"$NEWLINE"*) die "the launcher's path contains a line break, which a menu entry cannot hold" ;;
    esac
    if [ -z "$python" ]; then
        python=$(launcher_python "$launcher")
        [ -n "$python" ] || die "could not tell which Python $launcher runs with: pass --python PATH"
    fi
    case $python in
        /*) ;;
        */*) python=$(CDPATH='' cd -- "$(dirname -- "$python")" && pwd)/$(basename -- "$python") ;;
        *) python=$(command -v -- "$python") || die "$python was not found on PATH" ;;
    esac
    if ! [ -f "$python" ] || ! [ -x "$python" ]; then
        die "$python is not an executable Python: pass --python PATH"
    fi

    work=$(mktemp -d "${TMPDIR:-/tmp}/hookscope-desktop.XXXXXX")
    trap 'rm -rf -- "$work"' EXIT
    trap 'exit 1' HUP INT PIPE TERM

    # The icons exactly as the installed package ships them (run from the empty work folder, so
    # a hookscope folder in the current directory cannot stand in for the installed package).
    (cd -- "$work" && "$python" - .) <<'PYTHON' \
        || die "$python could not read the icons of an installed hookscope package:" \
            "pass --python with the Python that Hookscope is installed in"
import sys
from pathlib import Path

from hookscope import resources

out = Path(sys.argv[1])
(out / "scalable.svg").write_bytes(resources.icon_svg())
for size in resources.ICON_SIZES:
    (out / f"{size}.png").write_bytes(resources.icon_png(size))
(out / "sizes").write_text(" ".join(map(str, resources.ICON_SIZES)))
PYTHON
    [ -s "$work/sizes" ] || die "$python did not read the icons: is hookscope installed in it?"

    exec_line=$(exec_value "$launcher")
    tryexec_line=$(string_value "$launcher")
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
            Exec=*) printf 'Exec=%s\n' "$exec_line" ;;
            TryExec=*) printf 'TryExec=%s\n' "$tryexec_line" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done <"$HERE/$APP_ID.desktop" >"$work/$APP_ID.desktop"

    place "$work/$APP_ID.desktop" "$DATA_HOME/applications/$APP_ID.desktop"
    place "$HERE/$APP_ID.metainfo.xml" "$DATA_HOME/metainfo/$APP_ID.metainfo.xml"
    place "$work/scalable.svg" "$DATA_HOME/icons/hicolor/scalable/apps/$APP_ID.svg"
    read -r sizes <"$work/sizes" || true  # one line without a final newline
    for size in $sizes; do
        place "$work/$size.png" "$DATA_HOME/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    refresh_caches
    printf 'Hookscope is in the applications menu, starting %s\n' "$launcher"
}

action=install
launcher=''
python=''
while [ $# -gt 0 ]; do
    case $1 in
        --uninstall) action=uninstall ;;
        --python)
            [ $# -ge 2 ] || die "--python needs a path"
            python=$2
            shift
            ;;
        --python=*) python=${1#--python=} ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*) die "unknown option $1 (see --help)" ;;
        *)
            [ -z "$launcher" ] || die "one launcher only (see --help)"
            launcher=$1
            ;;
    esac
    shift
done

if [ "$action" = uninstall ]; then
    uninstall
else
    install "$launcher" "$python"
fi
