#!/bin/sh
# Replaces the content of the database with a backup made by scripts/backup.sh:
#   scripts/restore.sh < ~/backups/{{ cookiecutter.project_slug }}-2026-01-31.{{ "dump" if cookiecutter.database == "postgres" else "sqlite3" }}
# Only a backup of this project is restored: one whose migrations are this project's, none
# newer than this code. All or nothing: a backup that cannot be read, or fails half-way,
# leaves the data as it was. Every token issued before ends (token_version goes past both the
# backup's and the current one): a token logged out after the backup was made stays dead.
set -eu
cd "$(dirname "$0")/.."
compose="docker compose"
backup=$(mktemp)
trap 'rm -f "$backup"' EXIT
cat > "$backup"

refuse() {
    echo "restore: $1; nothing was changed" >&2
    exit 1
}

# The migrations the backup holds, one "app name" a line.
{%- if cookiecutter.database == "postgres" %}
applied=$($compose exec -T db pg_restore --data-only --table=django_migrations --file=- \
    < "$backup" | awk -F '\t' 'NF == 4 { print $2, $3 }') || applied=""
{%- else %}
applied=$($compose exec -T web python -c '
import sqlite3
import sys

backup = sqlite3.connect(":memory:")
backup.deserialize(sys.stdin.buffer.read())
for app, name in backup.execute("SELECT app, name FROM django_migrations"):
    print(app, name)
' < "$backup" 2>/dev/null) || applied=""
{%- endif %}
for app in accounts {{ cookiecutter.resource_plural }}; do
    echo "$applied" | grep -qx "$app 0001_initial" || refuse "not a backup of this project"
    for name in $(echo "$applied" | awk -v app="$app" '$1 == app { print $2 }'); do
        [ -f "$app/migrations/$name.py" ] ||
            refuse "the backup has migration $app $name, which this code has not"
    done
done
{%- if cookiecutter.database == "postgres" %}

# One transaction: the current token versions, the backup's tables, then versions past both.
$compose exec -T db sh -c '
set -e
trap "rm -f /tmp/restore.dump /tmp/restore.sql" EXIT
cat > /tmp/restore.dump
pg_restore --clean --if-exists --no-owner --file=/tmp/restore.sql /tmp/restore.dump
{
    echo "CREATE TEMP TABLE live_versions AS SELECT id, token_version FROM public.accounts_user;"
    cat /tmp/restore.sql
    echo "UPDATE public.accounts_user AS u SET token_version = 1 + GREATEST(u.token_version,"
    echo " COALESCE((SELECT l.token_version FROM live_versions AS l WHERE l.id = u.id), 0));"
} | psql --single-transaction --set=ON_ERROR_STOP=1 --quiet --output=/dev/null \
    --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"
' < "$backup"
{%- else %}

# The backup is checked in memory first and its token versions moved past the current ones;
# the online backup API then copies it over the live file in one step, under the write lock,
# so the workers never see half of it.
$compose exec -T web python -c '
import sqlite3
import sys

backup = sqlite3.connect(":memory:")
try:
    backup.deserialize(sys.stdin.buffer.read())
    sound = backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
except sqlite3.DatabaseError:
    sound = False
if not sound:
    sys.exit("restore: the backup is damaged; nothing was changed")
backup.execute("ATTACH DATABASE ? AS live", ("/data/db.sqlite3",))
backup.execute(
    "UPDATE accounts_user SET token_version = 1 + max(token_version, coalesce("
    " (SELECT l.token_version FROM live.accounts_user AS l WHERE l.id = accounts_user.id), 0))"
)
backup.commit()
backup.execute("DETACH DATABASE live")
backup.backup(sqlite3.connect("/data/db.sqlite3"))
' < "$backup"
{%- endif %}
echo "restore: done; every token issued before has ended"
