#!/usr/bin/env bash
# The README's walkthrough, line for line: sign up, log in, use the API, refresh, change the
# password, log out. Run it with the server of the quick start running: scripts/walkthrough.sh
# (PORT=8001 scripts/walkthrough.sh for a server on another port). It stops at the first step
# that answers anything else than it should, with one line that says which and why.

PORT=${PORT:-8000}         # the port of the quick start's server
ME=student-$RANDOM         # a new user each run, so that the steps can be repeated
# step NAME STATUS HTTPIE-ARGUMENTS...: one request, which must answer STATUS. It prints the
# status line and the body, and keeps the body in $BODY; any other answer, or none, ends the
# walkthrough with one line that names the step.
step() {
  local name=$1 expected=$2 answer code
  shift 2
  if ! answer=$(http --ignore-stdin --print=hb --timeout=10 "$@" 2>&1); then
    echo "walkthrough stopped at \"$name\": no answer on port $PORT (is the server running?)" >&2
    return 1
  fi
  answer=${answer//$'\r'/}              # HTTP ends header lines with CR LF
  read -r _ code _ <<< "$answer"        # the status line, e.g. "HTTP/1.1 201 Created"
  BODY=${answer#*$'\n\n'}               # what follows the headers' empty line
  [ "$BODY" = "$answer" ] && BODY=""    # no body at all (204 No Content)
  if [ "$code" != "$expected" ]; then
    echo "walkthrough stopped at \"$name\": $code instead of $expected: $BODY" >&2
    return 1
  fi
  echo "$name: ${answer%%$'\n'*}"
  if [ -n "$BODY" ]; then echo "$BODY"; fi
}
# field NAME: that field of the last answer's JSON body.
field() { python -c "import json, sys; print(json.load(sys.stdin)['$1'])" <<< "$BODY"; }

step "sign up" 201 POST :$PORT/api/register/ username=$ME email=$ME@example.com password=correct-horse-battery &&
step "log in" 200 POST :$PORT/api/token/ username=$ME password=correct-horse-battery &&
ACCESS=$(field access) && REFRESH=$(field refresh) &&
step "who am I" 200 :$PORT/api/me/ "Authorization:Bearer $ACCESS" &&
step "create" 201 POST :$PORT/api/v1/{{ cookiecutter.__plural_url }}/ "Authorization:Bearer $ACCESS" name="First {{ cookiecutter.__resource_label }}" description="Made with httpie" &&
ID=$(field id) &&
step "list" 200 :$PORT/api/v1/{{ cookiecutter.__plural_url }}/ "Authorization:Bearer $ACCESS" &&
step "rename" 200 PATCH :$PORT/api/v1/{{ cookiecutter.__plural_url }}/$ID/ "Authorization:Bearer $ACCESS" name=Renamed &&
step "delete" 204 DELETE :$PORT/api/v1/{{ cookiecutter.__plural_url }}/$ID/ "Authorization:Bearer $ACCESS" &&
# An access token lasts 5 minutes: past that, the refresh token buys a new pair (once).
step "refresh" 200 POST :$PORT/api/token/refresh/ refresh=$REFRESH &&
ACCESS=$(field access) &&
step "change the password" 200 POST :$PORT/api/password/change/ "Authorization:Bearer $ACCESS" old_password=correct-horse-battery new_password=staple-battery-horse-correct &&
ACCESS=$(field access) && REFRESH=$(field refresh) &&
step "log out" 200 POST :$PORT/api/token/blacklist/ refresh=$REFRESH &&
step "logged out: the access token is refused" 401 :$PORT/api/me/ "Authorization:Bearer $ACCESS" &&
echo "walkthrough: every step answered as expected"
