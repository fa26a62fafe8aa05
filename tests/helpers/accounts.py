"""Users of a rendered project, and signing in to its browsable API as a person does."""

import requests

from .machine import run


def create_superuser(project, env, username):
    """`createsuperuser --noinput` in the project; returns the password it was given."""
    password = f"{username}-Pa55word"
    environment = {
        **env,
        "DJANGO_SUPERUSER_PASSWORD": password,
        "DJANGO_SUPERUSER_EMAIL": f"{username}@example.com",
    }
    command = ["python", "manage.py", "createsuperuser", "--noinput", "--username", username]
    run(command, cwd=project, env=environment)
    return password


def session_login(base, username, password):
    """A requests.Session signed in through /api-auth/login/, CSRF token and all."""
    session = requests.Session()
    login = f"{base}/api-auth/login/"
    session.get(login, timeout=10).raise_for_status()
    form = {
        "username": username,
        "password": password,
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }
    answer = session.post(login, data=form, headers={"Referer": login}, timeout=10)
    # Django's LoginView redirects on success and shows the form again on failure.
    assert answer.history and answer.history[0].status_code == 302, answer.text[-2000:]
    return session
