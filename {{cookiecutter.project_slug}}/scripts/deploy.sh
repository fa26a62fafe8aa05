#!/bin/sh
# A new version of web while the old one keeps serving: `make deploy`. `make rollback` (this
# script with --rollback) puts back the image that ran before the last deploy, the same way.
#
#  1. Tag the image the web containers run as <image>:previous, then build the new one.
#  2. Apply the migrations (the one-shot migrate service) while the old containers serve:
#     they must work on the new schema too (see "Deploying" in the README).
#  3. Start as many web containers of the new image beside the old ones and wait until Docker
#     calls each healthy (it answers /healthz/). The proxy finds them within a second; one
#     that does not listen yet refuses the connection, and the proxy tries another.
#  4. Stop the old ones: Gunicorn finishes the requests it holds (up to 30 s), and the proxy
#     takes them out of rotation when they refuse connections. Then remove them. A POST that
#     reached one in the instant it stopped listening gets a 503: the proxy never sends a
#     write twice.
#
# If a new container does not turn healthy, it is removed and the old ones keep serving.
set -eu

compose=${COMPOSE:-docker compose}
rollback=false
if [ "${1:-}" = "--rollback" ]; then
    rollback=true
fi

old=$($compose ps -q web)
if [ -z "$old" ]; then
    echo "deploy: no web container is running; start the stack first (make up)" >&2
    exit 1
fi
count=$(echo "$old" | wc -w)
# The name the web image is built under (WEB_IMAGE, without a tag).
image=$($compose images web | awk 'NR == 2 { print $2 }')

if [ "$rollback" = true ]; then
    echo "deploy: back to $image:previous"
    docker tag "$image:previous" "$image"
else
    docker tag "$($compose images --quiet web | head -n 1)" "$image:previous"
    $compose build migrate
    $compose run --rm migrate
fi

echo "deploy: starting $count new web container(s) beside the $count running"
# --no-recreate keeps the old containers as they are. Not --no-deps: Compose would count that
# a change of configuration, and the next `up` would recreate every web container at once.
$compose up --detach --no-recreate --scale "web=$((count * 2))" web
new=$($compose ps -q web | grep -v -x -F "$old" || true)

for container in $new; do
    waited=0
    until [ -n "$(docker ps --quiet --filter "id=$container" --filter health=healthy)" ]; do
        if [ "$waited" -ge 120 ]; then
            echo "deploy: $container is not healthy after 120 s; the old containers still serve" >&2
            docker logs --tail 30 "$container" >&2
            docker rm --force $new >/dev/null
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
done

echo "deploy: the new containers are healthy; stopping the old ones"
# Longer than Gunicorn's graceful_timeout, as stop_grace_period in docker-compose.yml.
docker stop --time 40 $old >/dev/null
docker rm $old >/dev/null
echo "deploy: done, $count web container(s) on the new image"
