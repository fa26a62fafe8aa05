#!/bin/sh
# Locks the declared dependencies: requirements.in (the service) into requirements.txt and
# requirements-dev.in (the tests and tools) into requirements-dev.txt, every package pinned
# with the hashes of its files, for Python 3.11 and newer on any platform. Needs uv
# (requirements-dev.txt has it).
#   scripts/lock.sh                          after editing a .in file (`make lock` runs this)
#   scripts/lock.sh --upgrade-package NAME   move NAME to its newest version the .in files allow
#   scripts/lock.sh --check                  change nothing; fail if a lock no longer follows
#                                            from its .in file (CI runs this)
set -eu
cd "$(dirname "$0")/.."
locks="requirements requirements-dev" # in this order: the second is constrained by the first

lock() { # FOLDER [uv options]: compile each .in there, keeping the versions its lock holds
    folder=$1
    shift
    for name in $locks; do
        (cd "$folder" && uv pip compile --quiet --universal --python-version 3.11 \
            --generate-hashes "$@" "$name.in" -o "$name.txt")
    done
}

pins() { # LOCK: its requirement lines alone, without hashes or comments
    grep -E '^[A-Za-z0-9]' "$1" | sed 's/ *\\$//'
}

if [ "${1-}" != --check ]; then
    lock . "$@"
    exit
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for name in $locks; do
    cp "$name.in" "$name.txt" "$scratch/"
done
lock "$scratch"
stale=0
for name in $locks; do
    pins "$name.txt" >"$scratch/$name.locked"
    pins "$scratch/$name.txt" >"$scratch/$name.declared"
    if ! diff -u "$scratch/$name.locked" "$scratch/$name.declared" >"$scratch/$name.diff"; then
        echo "$name.txt does not match $name.in: run \`make lock\` (or scripts/lock.sh) and commit both." >&2
        cat "$scratch/$name.diff" >&2
        stale=1
    fi
done
exit $stale
