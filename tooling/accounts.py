"""Users of a rendered project, their tokens, and signing in to its browsable API as a person
does."""

import contextlib
import json
import uuid

import requests

from .constants import PASSWORD, RESOURCES, TOKEN
from .errors import UnexpectedAnswer
from .project import django_shell, manage


def unique(name):
    """A username no other test on the same database uses."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def create_users(project, env, *usernames, password=PASSWORD):
    django_shell(
        project,
        env,
        "from django.contrib.auth import get_user_model\n"
        f"for name in {list(usernames)!r}:\n"
        f"    get_user_model().objects.create_user(name, password={password!r})\n",
    )


def deleting_users(**lookup):
    """The Django code that deletes the users a lookup finds, with everything they own."""
    return (
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.filter(**{lookup!r}).delete()\n"
    )


def delete_users(project, env, *usernames):
    """Delete these users, and with them everything they own."""
    django_shell(project, env, deleting_users(username__in=list(usernames)))


@contextlib.contextmanager
def temporary_users(project, env, *names, password=PASSWORD):
    """Users (named `name-<random>`) for the length of a block, then deleted with everything
    they own: other tests share the project's database and count its rows."""
    usernames = [unique(name) for name in names]
    create_users(project, env, *usernames, password=password)
    try:
        yield usernames
    finally:
        delete_users(project, env, *usernames)


def count_users(project, env, prefix):
    """How many users the database holds whose username starts with `prefix`."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        f"print(get_user_model().objects.filter(username__startswith={prefix!r}).count())\n"
    )
    return int(django_shell(project, env, code).split()[-1])


@contextlib.contextmanager
def username_prefix(project, env, name):
    """A username prefix no other test uses, for users the service itself makes (sign-ups);
    afterwards every user whose name starts with it is deleted, with all they own."""
    prefix = unique(name)
    try:
        yield prefix
    finally:
        django_shell(project, env, deleting_users(username__startswith=prefix))


def user_rows(project, env, *usernames):
    """Every column of these users as the database holds them, ordered by username."""
    code = (
        "import json\n"
        "from django.contrib.auth import get_user_model\n"
        "rows = get_user_model().objects.filter(username__in="
        f"{list(usernames)!r}).order_by('username').values()\n"
        "print(json.dumps(list(rows), default=str))\n"
    )
    return json.loads(django_shell(project, env, code).splitlines()[-1])


def count_rows(project, env, owner=None):
    """How many resources (the default `thing`) the database holds, of one owner or of all."""
    where = f".filter(owner__username={owner!r})" if owner else ""
    code = (
        "from django.apps import apps\n"
        f"print(apps.get_model('things', 'Thing').objects{where}.count())\n"
    )
    return int(django_shell(project, env, code).split()[-1])


def create_superuser(project, env, username):
    """`createsuperuser --noinput` in the project; returns the password it was given."""
    password = f"{username}-Pa55word"
    environment = {
        **env,
        "DJANGO_SUPERUSER_PASSWORD": password,
        "DJANGO_SUPERUSER_EMAIL": f"{username}@example.com",
    }
    manage(project, environment, "createsuperuser", "--noinput", "--username", username)
    return password


def login(session, base, username, password=PASSWORD):
    """The access and refresh tokens of a user, from POST /api/token/."""
    credentials = {"username": username, "password": password}
    response = session.post(f"{base}{TOKEN}", json=credentials, timeout=30)
    if response.status_code != 200:
        raise UnexpectedAnswer(f"login of {username}: {response.status_code} {response.text}")
    return response.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def tokens_accepted(base, tokens):
    """(access accepted, refresh accepted) for a pair, asked over HTTP: the access token on
    the resource list, the refresh token at /api/token/verify/."""
    listed = requests.get(f"{base}{RESOURCES}", headers=bearer(tokens["access"]), timeout=30)
    verified = requests.post(
        f"{base}/api/token/verify/", json={"token": tokens["refresh"]}, timeout=30
    )
    return listed.status_code == 200, verified.status_code == 200


def post_login_form(session, url, username, password, **fields):
    """POST a Django login form as a browser does; `session` has fetched the form (for its
    CSRF cookie). The answer: a redirect on success, the form again or a refusal otherwise."""
    form = {
        "username": username,
        "password": password,
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
        **fields,
    }
    return session.post(url, data=form, headers={"Referer": url}, timeout=30)


def session_login(base, username, password):
    """A requests.Session signed in through /api-auth/login/, CSRF token and all."""
    session = requests.Session()
    form_url = f"{base}/api-auth/login/"
    session.get(form_url, timeout=10).raise_for_status()
    answer = post_login_form(session, form_url, username, password)
    # Django's LoginView redirects on success and shows the form again on failure.
    if not (answer.history and answer.history[0].status_code == 302):
        raise UnexpectedAnswer(f"session login of {username} failed:\n{answer.text[-2000:]}")
    return session
