from datetime import datetime

import pytest

from {{ cookiecutter.resource_plural }}.models import {{ cookiecutter.__resource_class }}

from .api import LIST_URL, detail_url


@pytest.fixture
def owned(user):
    return {{ cookiecutter.__resource_class }}.objects.create(owner=user, name="first", description="mine")


def test_anonymous_gets_401(anonymous, owned):
    assert anonymous.get(LIST_URL).status_code == 401
    assert anonymous.get(detail_url(owned.pk)).status_code == 401
    assert anonymous.post(LIST_URL, {"name": "nope"}).status_code == 401
    assert {{ cookiecutter.__resource_class }}.objects.count() == 1


def test_create_sets_the_owner_from_the_request(client_for, user, other_user):
    response = client_for(user).post(LIST_URL, {"name": "new", "owner": other_user.pk})
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == "alice"
    assert body["name"] == "new"
    assert {{ cookiecutter.__resource_class }}.objects.get(pk=body["id"]).owner == user


def test_read_list_and_detail(client_for, other_user, owned):
    client = client_for(other_user)
    listed = client.get(LIST_URL).json()["results"]
    assert [item["id"] for item in listed] == [owned.pk]
    assert client.get(detail_url(owned.pk)).json()["description"] == "mine"


def test_times_are_iso_8601_in_utc(client_for, user, owned):
    body = client_for(user).get(detail_url(owned.pk)).json()
    for name in ("created_at", "updated_at"):
        assert body[name].endswith("Z")
        assert datetime.fromisoformat(body[name]) == getattr(owned, name)


def test_owner_updates_and_deletes(client_for, user, owned):
    client = client_for(user)
    assert client.put(detail_url(owned.pk), {"name": "renamed"}).json()["name"] == "renamed"
    assert client.patch(detail_url(owned.pk), {"description": "new"}).status_code == 200
    owned.refresh_from_db()
    assert (owned.name, owned.description) == ("renamed", "new")
    assert client.delete(detail_url(owned.pk)).status_code == 204
    assert not {{ cookiecutter.__resource_class }}.objects.exists()


def test_another_user_gets_403_on_writes(client_for, other_user, owned):
    client = client_for(other_user)
    assert client.put(detail_url(owned.pk), {"name": "taken"}).status_code == 403
    assert client.patch(detail_url(owned.pk), {"name": "taken"}).status_code == 403
    assert client.delete(detail_url(owned.pk)).status_code == 403
    owned.refresh_from_db()
    assert owned.name == "first"


def test_owner_cannot_be_changed(client_for, user, other_user, owned):
    response = client_for(user).patch(detail_url(owned.pk), {"owner": other_user.pk})
    assert response.status_code == 200
    owned.refresh_from_db()
    assert owned.owner == user


def test_invalid_input_is_refused(client_for, user):
    client = client_for(user)
    assert client.post(LIST_URL, {}).status_code == 400
    assert client.post(LIST_URL, {"name": "x" * 201}).status_code == 400
    # Text must come as a string: DRF alone would store the number 5 as the name "5".
    for name in (5, ["a"], {"a": 1}, True):
        assert client.post(LIST_URL, {"name": name}).status_code == 400
    assert not {{ cookiecutter.__resource_class }}.objects.exists()


def test_oversized_body_gets_413_json(client_for, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(user).post(LIST_URL, {"name": "big", "description": "d" * 1000})
    assert response.status_code == 413
    body = {"detail": "The request body is too large.", "code": "request_too_large"}
    assert response.json() == body
    assert not {{ cookiecutter.__resource_class }}.objects.exists()


def test_unknown_ids_get_404(client_for, user):
    client = client_for(user)
    assert client.get(detail_url(999999)).status_code == 404
    assert client.get(f"{LIST_URL}not-a-number/").status_code == 404


def test_lists_are_paginated_newest_first(client_for, user):
    items = [{{ cookiecutter.__resource_class }}(owner=user, name=f"item {n}") for n in range(25)]
    {{ cookiecutter.__resource_class }}.objects.bulk_create(items)
    client = client_for(user)
    first = client.get(LIST_URL).json()
    assert len(first["results"]) == 20
    assert first["results"][0]["name"] == "item 24"
    assert first["previous"] is None

    second = client.get(first["next"]).json()
    assert [item["name"] for item in second["results"]] == [f"item {n}" for n in range(4, -1, -1)]
    assert second["next"] is None


def test_bad_cursor_gets_404(client_for, user):
    client = client_for(user)
    assert client.get(LIST_URL, {"cursor": "bogus"}).status_code == 404
    # A well-formed cursor with a position that is not an id (base64 of "p=abc").
    assert client.get(LIST_URL, {"cursor": "cD1hYmM="}).status_code == 404


@pytest.mark.parametrize("page_size", ["0", "-1", "101", "abc", "9" * 40])
def test_page_size_out_of_range_gets_400(client_for, user, page_size):
    response = client_for(user).get(LIST_URL, {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_page_size_is_honoured(client_for, user):
    for n in range(5):
        {{ cookiecutter.__resource_class }}.objects.create(owner=user, name=f"item {n}")
    assert len(client_for(user).get(LIST_URL, {"page_size": "2"}).json()["results"]) == 2


@pytest.mark.parametrize("rows", [1, 20])
def test_a_list_page_costs_two_queries_however_many_rows(
    client_for, user, other_user, rows, django_assert_num_queries
):
    """The user the token names, then the page with every owner joined in (select_related):
    without the join, each row of another owner would cost one more query."""
    for number in range(rows):
        owner = user if number % 2 else other_user
        {{ cookiecutter.__resource_class }}.objects.create(owner=owner, name=f"row {number}")
    client = client_for(user)
    with django_assert_num_queries(2):
        response = client.get(LIST_URL)
    assert len(response.json()["results"]) == rows
