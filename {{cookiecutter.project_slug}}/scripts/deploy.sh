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
#  4. Send the proxy's requests to the new ones only, then stop the old ones (Gunicorn
#     finishes the requests it holds, up to 30 s) and remove them (scripts/replicas.sh).
#
# If a new container does not turn healthy, it is removed and the old ones keep serving.
set -eu
# shellcheck source=scripts/replicas.sh
. "$(dirname "$0")/replicas.sh"

rollback=false
if [ "${1:-}" = "--rollback" ]; then
    rollback=true
fi

old=$(running_web)
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
new=$(start_web "$((count * 2))")

echo "deploy: the new containers are healthy; the proxy sends requests to them only"
retire "$old" "$new"
echo "deploy: done, $count web container(s) on the new image"
