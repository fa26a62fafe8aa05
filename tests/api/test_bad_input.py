"""Malformed, mistyped, oversized and out-of-range requests to the resource routes.

A broken client or an attacker sends what no form would: bodies that are not JSON, not UTF-8,
of the wrong type or shape, over the length of a column or over Django's upload limit; ids
that do not exist or are not numbers; forged pagination cursors and page sizes. Each must get a
JSON 4xx (400, 404, 413 or 415), never a 500, on POST, PUT and PATCH alike, and leave the
database exactly as it was: a refused write that half-happened would be worse than a crash.

Real services: the folder's Gunicorn (2 workers) over HTTP, on SQLite and on PostgreSQL (a
throwaway cluster).
"""

import base64
from collections import Counter

import pytest

from helpers.answers import assert_json_error
from tooling.accounts import bearer, count_rows, login
from tooling.constants import RESOURCES, detail

pytestmark = pytest.mark.gunicorn


def test_bad_requests_get_a_json_4xx_and_write_nothing(service, http, users):
    alice, _ = users
    auth = bearer(login(http, service.base, alice)["access"])
    created = http.post(
        service.url(RESOURCES), json={"name": "kept", "description": "as is"}, headers=auth
    )
    assert created.status_code == 201, created.text
    mine = detail(created.json()["id"])
    before = http.get(service.url(mine), headers=auth).json()
    rows_before = count_rows(service.project, service.env)

    too_big = 2_621_440 + 1  # one byte over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    json_body = {"headers": {**auth, "Content-Type": "application/json"}}
    bad_bodies = {
        "malformed JSON": {"data": b'{"name": ', **json_body},
        "not UTF-8": {"data": b'{"name": "\xff"}', **json_body},
        "a JSON list": {"json": [{"name": "a"}]},
        "JSON null": {"data": b"null", **json_body},
        "name as a list": {"json": {"name": ["a", "b"]}},
        "name as an object": {"json": {"name": {"first": "a"}}},
        "name as a number": {"json": {"name": 5}},
        "name as true": {"json": {"name": True}},
        "name null": {"json": {"name": None}},
        "description as a number": {"json": {"name": "ok", "description": 7}},
        "missing name": {"json": {"description": "no name"}},
        "empty object": {"json": {}},
        "blank name": {"json": {"name": "   "}},
        "NUL in the name": {"json": {"name": "a\x00b"}},
        "name of 201 characters": {"json": {"name": "n" * 201}},
        "description of 5001 characters": {"json": {"name": "ok", "description": "d" * 5001}},
        "form with a name of 201 characters": {"data": {"name": "n" * 201}},
    }
    expected = {what: 400 for what in bad_bodies}
    bad_bodies["huge JSON body"] = {"json": {"name": "big", "description": "d" * too_big}}
    bad_bodies["huge form body"] = {"data": {"name": "big", "description": "d" * too_big}}
    bad_bodies["huge multipart body"] = {"files": {"description": (None, "d" * too_big)}}
    plain_text = {**auth, "Content-Type": "text/plain"}
    bad_bodies["text/plain body"] = {"data": b"name=x", "headers": plain_text}
    expected.update({"huge JSON body": 413, "huge form body": 413, "huge multipart body": 413})
    expected["text/plain body"] = 415

    statuses = Counter()
    for what, request in bad_bodies.items():
        request = {"headers": auth, **request}
        for method, path in [("POST", RESOURCES), ("PUT", mine), ("PATCH", mine)]:
            if method == "PATCH" and what in ("missing name", "empty object"):
                continue  # a partial update may leave the name out
            response = http.request(method, service.url(path), timeout=60, **request)
            body = assert_json_error(response, expected[what], f"{what} ({method})")
            statuses[response.status_code] += 1
            if method == "POST":
                print(f"[{service.database}] {what}: {response.status_code} {str(body)[:110]}")

    unknown_ids = ["999999999", "0", "-1", "abc", "1.5", "9" * 30, "%00"]
    for pk in unknown_ids:
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            response = http.request(
                method, service.url(f"{RESOURCES}{pk}/"), json={"name": "x"}, headers=auth
            )
            assert_json_error(response, 404, f"id {pk!r} ({method})")
            statuses[404] += 1
    print(f"[{service.database}] unknown and non-numeric ids {unknown_ids}: 404 JSON")

    forged_cursor = base64.b64encode(b"p=abc").decode()  # was a 500: 'abc' reached the query
    bad_pages = {
        "cursor=garbage": 404,
        f"cursor={forged_cursor}": 404,
        "cursor=%FF%FE": 404,
        "page_size=-1": 400,
        "page_size=0": 400,
        "page_size=abc": 400,
        "page_size=101": 400,
        f"page_size={'9' * 40}": 400,
    }
    for query, status in bad_pages.items():
        response = http.get(service.url(f"{RESOURCES}?{query}"), headers=auth)
        body = assert_json_error(response, status, query)
        statuses[status] += 1
        print(f"[{service.database}] ?{query[:30]}: {status} {body}")

    assert http.get(service.url(mine), headers=auth).json() == before
    rows_after = count_rows(service.project, service.env)
    print(f"[{service.database}] {sum(statuses.values())} bad requests: {dict(statuses)}")
    print(f"[{service.database}] rows before {rows_before}, after {rows_after}")
    assert rows_after == rows_before
