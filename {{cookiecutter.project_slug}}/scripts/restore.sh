#!/bin/sh
# Replaces the content of the database with a backup made by scripts/backup.sh:
#   scripts/restore.sh < backup-2026-01-31.{{ "dump" if cookiecutter.database == "postgres" else "sqlite3" }}
# All or nothing: a backup that cannot be read, or fails half-way, leaves the data as it was.
# With Compose v1, set COMPOSE=docker-compose.
set -eu
compose=${COMPOSE:-docker compose}
{%- if cookiecutter.database == "postgres" %}

exec $compose exec -T db sh -c 'pg_restore --clean --if-exists --no-owner --single-transaction \
    --exit-on-error --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"'
{%- else %}

# The backup is checked in memory first; the online backup API then copies it over the live
# file in one step, under the write lock, so the workers never see half of it.
exec $compose exec -T web python -c '
import sqlite3
import sys

backup = sqlite3.connect(":memory:")
try:
    backup.deserialize(sys.stdin.buffer.read())
    backup.execute("SELECT count(*) FROM django_migrations")
    sound = backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
except sqlite3.DatabaseError:
    sound = False
if not sound:
    sys.exit("restore: not a backup of this project; nothing was changed")
backup.backup(sqlite3.connect("/data/db.sqlite3"))
'
{%- endif %}
