"""Only the owner changes an object, and nobody re-owns, renumbers or backdates one.

Every resource belongs to the user who created it. Another signed-in user's writes (PUT,
PATCH, DELETE, even an empty PATCH or one naming a new owner) get a JSON 403 and anonymous
requests a JSON 401, and the object stays as it was. Read-only fields in a body (owner, id,
created_at, updated_at) are ignored, for the owner too, and a POST that names someone else
as the owner makes an object of the sender's own.

Real services: the Gunicorn this folder shares, over HTTP; SQLite and a throwaway PostgreSQL.
"""

import pytest

from helpers.answers import assert_json_error
from tooling.accounts import bearer, count_rows, login
from tooling.constants import RESOURCES, detail

pytestmark = pytest.mark.gunicorn


def test_nobody_changes_another_users_object(service, http, users):
    alice, bob = users
    as_alice, as_bob = (bearer(login(http, service.base, name)["access"]) for name in users)
    created = http.post(
        service.url(RESOURCES), json={"name": "alice's", "description": "hers"}, headers=as_alice
    )
    assert created.status_code == 201, created.text
    original = created.json()
    url = service.url(detail(original["id"]))
    rows_before = count_rows(service.project, service.env)

    writes = [
        ("PUT", {"name": "taken", "description": "by bob"}),
        ("PUT", {"name": "taken", "owner": bob}),
        ("PATCH", {"name": "taken"}),
        ("PATCH", {"owner": bob}),
        ("PATCH", {}),
        ("DELETE", None),
    ]
    for method, body in writes:
        assert_json_error(http.request(method, url, json=body, headers=as_bob), 403, method)
    for method, body in [*writes, ("GET", None)]:
        assert_json_error(http.request(method, url, json=body), 401, f"anonymous {method}")
    anonymous_post = http.post(service.url(RESOURCES), json={"name": "anonymous"})
    assert_json_error(anonymous_post, 401, "anonymous POST")
    assert http.get(url, headers=as_alice).json() == original

    # Read-only fields in the body are ignored: even the owner cannot re-own, renumber or
    # backdate an object.
    read_only = {
        "owner": bob,
        "id": original["id"] + 1000,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
    }
    for method in ("PUT", "PATCH"):
        response = http.request(
            method, url, json={"name": f"renamed by {method}", **read_only}, headers=as_alice
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert changed["name"] == f"renamed by {method}"
        assert (changed["id"], changed["owner"], changed["created_at"]) == (
            original["id"],
            alice,
            original["created_at"],
        )
    # Bob's POST naming alice as the owner makes an object of bob's, with an id of its own.
    posted = http.post(
        service.url(RESOURCES), json={"name": "bob's", **read_only, "owner": alice}, headers=as_bob
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["owner"] == bob
    assert posted.json()["id"] != read_only["id"]
    assert posted.json()["created_at"] != read_only["created_at"]

    owner_in_db = service.shell(
        "from django.apps import apps\n"
        f"print(apps.get_model('things', 'Thing').objects.get(pk={original['id']}).owner.username)",
    ).split()[-1]
    assert owner_in_db == alice
    assert count_rows(service.project, service.env) == rows_before + 1  # bob's own object only
    print(
        f"[{service.database}] {len(writes)} writes by another user: 403; "
        f"{len(writes) + 2} anonymous requests: 401; owner, id and created_at unchanged"
    )
