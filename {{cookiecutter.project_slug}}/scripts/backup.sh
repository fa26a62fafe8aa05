#!/bin/sh
# Writes a consistent backup of the database to FILE while the service runs, for example:
#   mkdir -p ~/backups && scripts/backup.sh ~/backups/{{ cookiecutter.project_slug }}-$(date +%F).{{ "dump" if cookiecutter.database == "postgres" else "sqlite3" }}
# Keep backups outside the project folder: they hold every account. Only you may read the
# file, and it appears only once the backup is complete: a failed backup leaves no file and
# exits non-zero. Restore it with scripts/restore.sh.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: scripts/backup.sh FILE" >&2
    exit 2
fi
compose="docker compose"
umask 077
partial="$1.partial"
trap 'rm -f "$partial"' EXIT
{%- if cookiecutter.database == "postgres" %}

# pg_dump's custom format: compressed, and pg_restore can replace the tables in place.
read_database() {
    $compose exec -T db sh -c 'pg_dump --format=custom --username="$POSTGRES_USER" "$POSTGRES_DB"'
}
{%- else %}

# SQLite's online backup API copies a snapshot that no concurrent write can tear. The copy
# leaves WAL mode, so that it is one self-contained file.
read_database() {
    $compose exec -T web python -c '
import sqlite3
import sys
import tempfile

with tempfile.NamedTemporaryFile() as copy:
    snapshot = sqlite3.connect(copy.name)
    sqlite3.connect("/data/db.sqlite3").backup(snapshot)
    snapshot.execute("PRAGMA journal_mode=DELETE")
    snapshot.close()
    sys.stdout.buffer.write(copy.read())
'
}
{%- endif %}

if ! read_database > "$partial" || [ ! -s "$partial" ]; then
    echo "backup: the database could not be read (is the stack up?); no backup was written" >&2
    exit 1
fi
mv "$partial" "$1"
echo "backup: $1"
