"""What the tests share: the test password, the resource's URLs and token helpers."""

from rest_framework.test import APIClient

PASSWORD = "correct-horse-battery"
LIST_URL = "/api/v1/{{ cookiecutter.__plural_url }}/"


def detail_url(pk):
    return f"{LIST_URL}{pk}/"


def obtain_tokens(username):
    response = APIClient().post("/api/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def bearer_client(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client
