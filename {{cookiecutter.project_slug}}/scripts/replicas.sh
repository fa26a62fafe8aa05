# shellcheck shell=sh disable=SC2086
# (Lists of container ids are split into words on purpose: an id holds no space.)
#
# Starting web containers until Docker calls them healthy, and retiring web containers
# without failing a request: {% if cookiecutter.database == "postgres" %}deploy.sh and scale.sh source this file{% else %}deploy.sh sources this file{% endif %}.
#
# The proxy finds the web containers by the name `web` (proxy/upstream.conf), which Docker's
# DNS answers with every web container's address, a stopping one's too until it exits. So a
# container is taken out of the proxy's rotation before it stops: otherwise a POST sent to it
# as Gunicorn closes its socket would get a 503 (the proxy never sends a write twice).

compose=${COMPOSE:-docker compose}
upstream=proxy/upstream.conf

# The name of a container (the last column of `docker ps`): Docker's DNS knows it.
container_name() {
    docker ps --all --filter "id=$1" | awk 'NR == 2 { print $NF }'
}

# The ids of the running web containers; none is an error: there is nothing to replace.
running_web() {
    running=$($compose ps -q web)
    if [ -z "$running" ]; then
        echo "no web container is running; start the stack first (make up)" >&2
        return 1
    fi
    echo "$running"
}

# Run `web=COUNT` web containers, keeping those that run (not recreated, nor `--no-deps`:
# Compose would count that a change, and the next `up` would recreate every one at once),
# and wait until Docker calls each new one healthy. Prints the new containers' ids. One that
# is not healthy after 120 s is removed with the other new ones, and the old ones serve on.
start_web() {
    serving=$($compose ps -q web)
    $compose up --detach --no-recreate --scale "web=$1" web >&2
    started=$($compose ps -q web | grep -v -x -F "$serving" || true)
    for container in $started; do
        waited=0
        until [ -n "$(docker ps --quiet --filter "id=$container" --filter health=healthy)" ]; do
            if [ "$waited" -ge 120 ]; then
                echo "$container is not healthy after 120 s; the other containers serve on" >&2
                docker logs --tail 30 "$container" >&2
                docker rm --force $started >/dev/null
                return 1
            fi
            sleep 1
            waited=$((waited + 1))
        done
    done
    echo "$started"
}

# nginx's worker processes in the proxy container, by the title nginx gives them.
proxy_workers() {
    $compose exec -T proxy sh -c 'grep -l "^nginx: worker process" /proc/[0-9]*/cmdline' \
        2>/dev/null || true
}

# nginx checks and reads its configuration again and starts new workers. The old ones close
# their idle client connections, finish the requests they hold (a minute at most: nginx's
# timeouts), then exit; once they are gone, no request follows the old configuration.
reload_proxy() {
    $compose exec -T proxy nginx -t -q
    workers=$(proxy_workers)
    $compose exec -T proxy nginx -s reload
    waited=0
    while proxy_workers | grep -q -x -F "$workers"; do
        if [ "$waited" -ge 90 ]; then
            echo "the proxy's old workers still run after 90 s" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

# retire OLD KEEP: the proxy sends requests to the containers KEEP only (an upstream group of
# them in proxy/upstream.conf), then OLD stop (Gunicorn finishes the requests it holds) and
# are removed, and the proxy finds the containers by the name `web` again. Whatever happens
# meanwhile, Ctrl-C included, upstream.conf is put back when the script ends.
retire() {
    saved=$(mktemp)
    cp "$upstream" "$saved"
    trap 'cat "$saved" > "$upstream"; rm -f "$saved"; reload_proxy' EXIT
    trap 'exit 1' INT TERM
    {
        echo "# While a script retires web containers: the ones that stay, by name."
        echo "upstream staying_web {"
        for container in $2; do
            echo "    server $(container_name "$container"):8000;"
        done
        echo "}"
        # shellcheck disable=SC2016 # nginx's $web, not the shell's
        echo 'map "" $web { default staying_web; }'
    } > "$upstream"
    reload_proxy
    # Longer than Gunicorn's graceful_timeout, as stop_grace_period in docker-compose.yml.
    docker stop --time 40 $1 >/dev/null
    docker rm $1 >/dev/null
    cat "$saved" > "$upstream"
    rm -f "$saved"
    trap - EXIT INT TERM
    reload_proxy
}
