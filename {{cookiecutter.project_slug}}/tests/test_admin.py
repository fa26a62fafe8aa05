import pytest
from django.contrib.auth import get_user_model
from django.utils.html import escape

from {{ cookiecutter.resource_plural }}.models import {{ cookiecutter.__resource_class }}


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", password="admin-password")
    {{ cookiecutter.__resource_class }}.objects.create(owner=admin, name="findable")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    ("model", "search"),
    [(get_user_model(), "admin"), ({{ cookiecutter.__resource_class }}, "findable")],
    ids=["user", "{{ cookiecutter.resource_name }}"],
)
def test_admin_list_search_and_change_pages_open(admin_client, model, search):
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    listing = admin_client.get(base)
    assert listing.status_code == 200
    found = admin_client.get(base, {"q": search})
    assert found.status_code == 200
    assert found.context["cl"].result_count == 1
    missing = admin_client.get(base, {"q": "nothing-matches-this"})
    assert missing.context["cl"].result_count == 0
    change = admin_client.get(f"{base}{model.objects.get().pk}/change/")
    assert change.status_code == 200
    assert admin_client.get(f"{base}add/").status_code == 200


def test_the_admin_refuses_a_username_taken_in_another_case(admin_client, django_user_model):
    django_user_model.objects.create_user("émile")
    form = {
        "username": "ÉMILE",
        "usable_password": "true",
        "password1": "a-long-enough-password",
        "password2": "a-long-enough-password",
    }
    response = admin_client.post("/admin/accounts/user/add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors == {
        "username": ["A user with that username already exists."]
    }
    assert not django_user_model.objects.filter(username="ÉMILE").exists()


def test_admin_pages_carry_the_project_name(client, settings):
    """The login page's title and header name the project, not "Django administration"."""
    page = client.get("/admin/login/").content.decode()
    name = settings.SPECTACULAR_SETTINGS["TITLE"]
    assert f"<title>Log in | {escape(name)}</title>" in page
    assert f'<a href="/admin/">{escape(name)}</a>' in page
    assert "Django administration" not in page
