"""Sign-up under attack: hostile input, look-alike names, races, and turning it off.

Sign-up is where a stranger writes to the user table. Over-long and malformed fields,
usernames that only look like an existing one once Unicode is normalized (full-width letters,
ligatures, the Kelvin sign, capitals) and many sign-ups of one name at once, also in two
cases (Casey and casey, Émile and émile: the database's unique index decides), must each end
in a JSON 400, 413 or 415, never a 500, and leave the user table as it was, or with exactly
one user. A password signs in exactly as it was typed, spaces included. With
DJANGO_ALLOW_SIGNUP=false the route is gone and logins still work. (The sign-up rate limit is
test_throttling.py.)

Real services: the folder's Gunicorn (2 workers), and one with sign-up turned off, over HTTP,
on SQLite and on PostgreSQL (a throwaway cluster).
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers.answers import assert_json_error
from tooling.accounts import count_users, login, session_login, temporary_users
from tooling.constants import PASSWORD, REGISTER, TOKEN
from tooling.served import gunicorn, relaxed_env

pytestmark = pytest.mark.gunicorn

TOO_BIG = 2_621_440 + 1  # one byte over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
RACERS = 8  # sign-ups sent at once for one name
CASE_ROUNDS = 5  # rounds of two sign-ups at once, of one name in two cases


def full_width(text):
    """ASCII letters, digits and signs as their full-width forms (ａｌｉｃｅ for alice)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_sign_up_refuses_hostile_input_and_writes_nothing(service, http, prefix):
    valid = {"username": f"{prefix}-x", "password": PASSWORD}
    json_headers = {"Content-Type": "application/json"}
    bad_bodies = {
        "username of 151 characters": {"json": {**valid, "username": "u" * 151}},
        "username of 10,000 characters": {"json": {**valid, "username": "u" * 10_000}},
        # 10 characters as sent, 180 once NFKC-normalized: longer than the column.
        "username that normalizes to 180 characters": {"json": {**valid, "username": "ﷺ" * 10}},
        "username with a space": {"json": {**valid, "username": f"{prefix} x"}},
        "username with a slash": {"json": {**valid, "username": f"{prefix}/x"}},
        "username with an emoji": {"json": {**valid, "username": f"{prefix}🦄"}},
        "NUL in the username": {"json": {**valid, "username": f"{prefix}\x00"}},
        "username as a number": {"json": {**valid, "username": 5}},
        "username as a list": {"json": {**valid, "username": [prefix]}},
        "username as an object": {"json": {**valid, "username": {"name": prefix}}},
        "username null": {"json": {**valid, "username": None}},
        "blank username": {"json": {**valid, "username": "   "}},
        "password of 129 characters": {"json": {**valid, "password": "p" * 129}},
        "password of 100,000 characters": {"json": {**valid, "password": "p" * 100_000}},
        "NUL in the password": {"json": {**valid, "password": f"{PASSWORD}\x00"}},
        "password as a number": {"json": {**valid, "password": 1234567890123}},
        "password too short": {"json": {**valid, "password": "short"}},
        "password too common": {"json": {**valid, "password": "password123"}},
        "password entirely numeric": {"json": {**valid, "password": "73819264501"}},
        "password like the username": {"json": {**valid, "password": f"{prefix}-x"}},
        "email of 255 characters": {"json": {**valid, "email": "e" * 245 + "@example.io"}},
        "email that is not one": {"json": {**valid, "email": "not-an-email"}},
        "missing username": {"json": {"password": PASSWORD}},
        "missing password": {"json": {"username": valid["username"]}},
        "empty object": {"json": {}},
        "a JSON list": {"json": [valid]},
        "JSON null": {"data": b"null", "headers": json_headers},
        "malformed JSON": {"data": b'{"username": ', "headers": json_headers},
        "not UTF-8": {"data": b'{"username": "\xff"}', "headers": json_headers},
        "form with a username of 151 characters": {"data": {**valid, "username": "u" * 151}},
    }
    expected = dict.fromkeys(bad_bodies, 400)
    bad_bodies["huge JSON body"] = {"json": {**valid, "email": "e" * TOO_BIG}}
    bad_bodies["text/plain body"] = {
        "data": b"username=x",
        "headers": {"Content-Type": "text/plain"},
    }
    expected.update({"huge JSON body": 413, "text/plain body": 415})

    statuses = Counter()
    for what, request in bad_bodies.items():
        response = http.post(service.url(REGISTER), timeout=60, **request)
        body = assert_json_error(response, expected[what], what)
        statuses[response.status_code] += 1
        print(f"[{service.database}] sign-up, {what}: {response.status_code} {str(body)[:100]}")
    print(f"[{service.database}] {sum(statuses.values())} bad sign-ups: {dict(statuses)}")
    assert count_users(service.project, service.env, prefix) == 0

    # Control: the same body without the fault is accepted.
    created = http.post(service.url(REGISTER), json=valid, timeout=60)
    assert created.status_code == 201, created.text
    assert count_users(service.project, service.env, prefix) == 1


def test_look_alike_usernames_of_an_existing_user_are_refused(service, http, prefix):
    existing = f"{prefix}-fiona.k"
    created = http.post(service.url(REGISTER), json={"username": existing, "password": PASSWORD})
    assert created.status_code == 201, created.text
    look_alikes = {
        "full-width": full_width(existing),
        "capitals": existing.upper(),
        "full-width capitals": full_width(existing.upper()),
        "fi ligature": existing.replace("fi", "\ufb01"),  # ﬁ
        "Kelvin sign": existing.replace(".k", ".\u212a"),  # K, NFKC: K, then case: k
        "surrounding spaces": f"  {existing}  ",
    }
    for what, username in look_alikes.items():
        assert username != existing
        response = http.post(
            service.url(REGISTER), json={"username": username, "password": PASSWORD}, timeout=60
        )
        body = assert_json_error(response, 400, what)
        assert body == {"username": ["A user with that username already exists."]}, what
        print(f"[{service.database}] {what} {username!r}: 400 {body}")
    assert count_users(service.project, service.env, prefix) == 1
    # Normalizing makes a look-alike of a free name that name itself.
    fresh = http.post(
        service.url(REGISTER), json={"username": full_width(f"{prefix}-new"), "password": PASSWORD}
    )
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["username"] == f"{prefix}-new"


def test_racing_sign_ups_of_one_name_make_one_user(service, prefix):
    username = f"{prefix}-racer"

    def sign_up(_):
        with requests.Session() as session:
            response = session.post(
                service.url(REGISTER), json={"username": username, "password": PASSWORD}, timeout=60
            )
            if response.status_code != 201:
                assert_json_error(response, 400, "racing sign-up")
            return response.status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = sorted(pool.map(sign_up, range(RACERS)))
    print(f"[{service.database}] {RACERS} sign-ups of one name at once: {statuses}")
    assert statuses == [201] + [400] * (RACERS - 1)
    assert count_users(service.project, service.env, prefix) == 1


@pytest.mark.parametrize("names", [("Casey", "casey"), ("Émile", "émile")], ids=["ascii", "accent"])
def test_racing_sign_ups_of_one_name_in_two_cases_make_one_user(service, prefix, names):
    """The unique index on the case-folded name decides, not the check before the INSERT."""
    taken = {"username": ["A user with that username already exists."]}
    outcomes = []
    for round_ in range(CASE_ROUNDS):
        gate = threading.Barrier(len(names))

        def sign_up(name, gate=gate, round_=round_):
            gate.wait()  # both leave at the same moment
            body = {"username": f"{prefix}-{round_}-{name}", "password": PASSWORD}
            return requests.post(service.url(REGISTER), json=body, timeout=60)

        with ThreadPoolExecutor(len(names)) as pool:
            answers = list(pool.map(sign_up, names))
        statuses = sorted(answer.status_code for answer in answers)
        outcomes.append(statuses)
        assert statuses == [201, 400], [answer.text for answer in answers]
        (refused,) = (answer for answer in answers if answer.status_code == 400)
        assert assert_json_error(refused, 400, "the second case of a name") == taken
    print(f"[{service.database}] {names} signed up at once, {CASE_ROUNDS} times: {outcomes}")
    assert count_users(service.project, service.env, prefix) == CASE_ROUNDS


def test_a_password_with_spaces_signs_in_exactly_as_typed(service, prefix):
    username, spaced = f"{prefix}-spaces", " correct horse battery staple "
    signed_up = requests.post(
        service.url(REGISTER), json={"username": username, "password": spaced}, timeout=60
    )
    assert signed_up.status_code == 201, signed_up.text
    with requests.Session() as http:
        assert set(login(http, service.base, username, spaced)) == {"access", "refresh"}
        trimmed = http.post(
            service.url(TOKEN), json={"username": username, "password": spaced.strip()}
        )
    assert_json_error(trimmed, 401, "the password without its spaces")
    session_login(service.base, username, spaced)  # the browsable API's login form
    print(f"[{service.database}] password {spaced!r}: token endpoint and login form sign in")


def test_sign_up_can_be_turned_off(rendered_project, prefix, http):
    database, project, env = rendered_project
    off = relaxed_env(env, DJANGO_ALLOW_SIGNUP="false")
    with temporary_users(project, env, "invited") as (invited,), gunicorn(project, off) as served:
        response = http.post(served.url(REGISTER), json={"username": prefix, "password": PASSWORD})
        body = assert_json_error(response, 404, "sign-up turned off")
        tokens = login(http, served.base, invited)  # an UnexpectedAnswer unless 200
    print(f"[{database}] DJANGO_ALLOW_SIGNUP=false: sign-up {response.status_code} {body}")
    assert set(tokens) == {"access", "refresh"}
    assert count_users(project, env, prefix) == 0
