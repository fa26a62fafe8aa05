#!/bin/sh
# Another number of web containers while clients keep working: `make scale REPLICAS=N`.
# WEB_REPLICAS in .env says N afterwards, so that every later `up` runs as many.
#
#  - More: start the new ones and wait until Docker calls each healthy (it answers /healthz/);
#    the proxy finds them by name within a second.
#  - Fewer: send the proxy's requests to the ones that stay, then stop the others (Gunicorn
#    finishes the requests it holds) and remove them (scripts/replicas.sh).
set -eu
# shellcheck source=scripts/replicas.sh
. "$(dirname "$0")/replicas.sh"

replicas=${1:-}
case $replicas in
    '' | *[!0-9]* | 0*)
        echo "usage: make scale REPLICAS=N, with N a whole number from 1" >&2
        exit 2
        ;;
esac

running=$(running_web)
count=$(echo "$running" | wc -w)

if [ "$replicas" -gt "$count" ]; then
    echo "scale: starting $((replicas - count)) web container(s) beside the $count running"
    start_web "$replicas" >/dev/null
elif [ "$replicas" -lt "$count" ]; then
    # The lowest numbers stay (web-1, web-2, ...), as Compose's own scale-down keeps them.
    ordered=$(for container in $running; do
        echo "$(container_name "$container" | awk -F- '{ print $NF }') $container"
    done | sort -n | cut -d ' ' -f 2)
    echo "scale: the proxy sends requests to $replicas web container(s); stopping the others"
    staying=$(echo "$ordered" | head -n "$replicas")
    leaving=$(echo "$ordered" | tail -n "+$((replicas + 1))")
    retire "$leaving" "$staying"
fi

# The line replaced where it is (or added), and .env rewritten in place: it stays yours alone.
written=$(mktemp)
awk -v line="WEB_REPLICAS=$replicas" '
    /^WEB_REPLICAS=/ { print line; found = 1; next }
    { print }
    END { if (!found) print line }
' .env > "$written"
cat "$written" > .env
rm "$written"
echo "scale: done, $replicas web container(s); WEB_REPLICAS=$replicas in .env"
