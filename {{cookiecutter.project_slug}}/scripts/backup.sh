#!/bin/sh
# Writes a consistent backup of the database to standard output while the service runs:
#   scripts/backup.sh > backup-$(date +%F).{{ "dump" if cookiecutter.database == "postgres" else "sqlite3" }}
# Restore it with scripts/restore.sh. With Compose v1, set COMPOSE=docker-compose.
set -eu
compose=${COMPOSE:-docker compose}
{%- if cookiecutter.database == "postgres" %}

# pg_dump's custom format: compressed, and pg_restore can replace the tables in place.
exec $compose exec -T db sh -c 'pg_dump --format=custom --username="$POSTGRES_USER" "$POSTGRES_DB"'
{%- else %}

# SQLite's online backup API copies a snapshot that no concurrent write can tear. The copy
# leaves WAL mode, so that it is one self-contained file.
exec $compose exec -T web python -c '
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
{%- endif %}
