#!/bin/bash
# The parts of the official postgres image's documented entrypoint contract that this project
# relies on: POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required to initialise),
# POSTGRES_DB (default: the user's name), PGDATA; initialisation only when PGDATA is empty;
# password (scram-sha-256) auth for every TCP client.
set -euo pipefail
export PGDATA=${PGDATA:-/var/lib/postgresql/data}

# `docker run IMAGE -c fsync=off` passes options to postgres; any other command just runs.
if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi
[[ ${1:-} == postgres ]] || exec "$@"

if [[ $(id -u) == 0 ]]; then
    # A fresh volume (or a bind mount) may be owned by root: postgres only starts in a data
    # folder it owns and no one else can read.
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    # setpriv execs in place (no PAM session, no extra process), so postgres gets docker's
    # stop signal itself.
    export HOME=/var/lib/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
    : "${POSTGRES_PASSWORD:?is required to initialise the database, as in the official image}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
    if [[ $db != postgres ]]; then
        # A temporary server on a private socket and no TCP, so that a healthcheck's
        # pg_isready does not say "ready" before the database exists.
        sock=$(mktemp -d)
        pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$sock" -w start >/dev/null
        psql -h "$sock" -U "$user" -d postgres -v ON_ERROR_STOP=1 -q -v db="$db" <<<'CREATE DATABASE :"db";'
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
        rm -rf "$sock"
    fi
    echo "docker-entrypoint.sh: database initialised"
fi

exec "$@"
