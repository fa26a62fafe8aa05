"""Steady reads and writes through a stack's proxy from several clients at once, while a deploy,
a scale change or a fault happens: what every request got, and which writes were acknowledged.

Readers list the resources; writers create one and then rename it. Every loop is bounded by
`limit` seconds and ends by itself; the stack is the caller's own, on 127.0.0.1.

Each client keeps its connection open between requests (HTTP keep-alive) and, as browsers do,
sends a request once more when the server had closed the kept connection it went out on before
any answer (tooling.keepalive). Such resends are counted, and `duplicates` shows them safe: no
write stored twice.
"""

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from .accounts import bearer
from .constants import RESOURCES, detail
from .keepalive import closed_before_answer, keepalive_session

# A 503 with Retry-After says "try again": a client that honours it waits this long at most.
RETRY_WAIT_CAP = 2.0
RETRIES = 5


@dataclass
class Answer:
    method: str
    status: object  # the HTTP status, or the exception's name when no answer came
    code: str | None  # the code of a JSON error
    retried: int  # 503s with Retry-After before this answer
    resent: bool = False  # sent again: its kept connection was closed before any answer


@dataclass
class Load:
    """`readers` and `writers` client threads against `base`, each with its own session.

    With honour_retry_after, a client that gets a 503 with Retry-After waits and sends the
    request again (up to RETRIES times), as the API asks; otherwise every answer counts as is.
    """

    base: str
    access: str
    readers: int = 2
    writers: int = 2
    limit: float = 300
    honour_retry_after: bool = False
    # Between a client's requests, as an app's client pauses: a steady load, with requests in
    # flight at every moment of a deploy or a fault, that leaves the machine's cores to the
    # services under test (and to the tests beside it) instead of taking them all.
    pause: float = 0.05
    answers: list = field(default_factory=list)
    created: dict = field(default_factory=dict)  # id -> name, acknowledged with a 201
    renamed: dict = field(default_factory=dict)  # id -> name, acknowledged with a 200

    def __post_init__(self):
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self.read, daemon=True) for _ in range(self.readers)
        ] + [
            threading.Thread(target=self.write, args=(f"writer {n}",), daemon=True)
            for n in range(self.writers)
        ]

    def __enter__(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        self.took = time.monotonic() - self.started

    def running(self):
        return not self.stopping.is_set() and time.monotonic() - self.started < self.limit

    def request(self, session, method, path, **body):
        retried, resent = 0, False
        while True:
            try:
                answer = session.request(method, self.base + path, json=body or None, timeout=15)
            except requests.RequestException as error:
                if closed_before_answer(error) and not resent:
                    resent = True  # on a new connection: urllib3 dropped the closed one
                    continue
                self.answers.append(Answer(method, type(error).__name__, None, retried, resent))
                return None
            waits = answer.status_code == 503 and "Retry-After" in answer.headers
            if not (self.honour_retry_after and waits and retried < RETRIES):
                is_json = answer.headers.get("Content-Type", "").startswith("application/json")
                code = answer.json().get("code") if answer.status_code >= 400 and is_json else None
                self.answers.append(Answer(method, answer.status_code, code, retried, resent))
                return answer
            retried += 1
            time.sleep(min(float(answer.headers["Retry-After"]), RETRY_WAIT_CAP))

    def session(self):
        session = keepalive_session()
        session.headers.update(bearer(self.access))
        return session

    def read(self):
        session = self.session()
        while self.running():
            self.request(session, "GET", f"{RESOURCES}?page_size=5")
            self.stopping.wait(self.pause)

    def write(self, writer):
        session = self.session()
        number = 0
        while self.running():
            number += 1
            name = f"{writer} {number}"
            created = self.request(session, "POST", RESOURCES, name=name)
            self.stopping.wait(self.pause)
            if created is None or created.status_code != 201:
                continue
            pk = created.json()["id"]
            self.created[pk] = name
            renamed = self.request(session, "PATCH", detail(pk), name=f"{name} renamed")
            self.stopping.wait(self.pause)
            if renamed is not None and renamed.status_code == 200:
                self.renamed[pk] = f"{name} renamed"

    def statuses(self, method=None):
        return Counter(a.status for a in self.answers if method in (None, a.method))

    def failures(self, methods=("GET", "POST", "PATCH")):
        """Answers of these methods that were not a success, after any retries."""
        return [
            a
            for a in self.answers
            if a.method in methods and not (isinstance(a.status, int) and a.status < 400)
        ]

    def lost(self, stored):
        """Acknowledged writes missing from `stored` (id -> name, read from the database):
        a created row that is not there, or a rename that did not stay."""
        missing = [pk for pk in self.created if pk not in stored]
        unrenamed = [pk for pk, name in self.renamed.items() if stored.get(pk) != name]
        return missing + unrenamed

    @staticmethod
    def duplicates(stored):
        """Names that `stored` (id -> name, the rows of the load's user) holds more than once:
        a create applied twice, since each create of a writer has a name of its own."""
        names = Counter(name.removesuffix(" renamed") for name in stored.values())
        return sorted(name for name, times in names.items() if times > 1)

    def summary(self):
        retried = sum(1 for a in self.answers if a.retried)
        resent = Counter(a.method for a in self.answers if a.resent)
        return (
            f"{len(self.answers)} requests in {self.took:.1f} s from"
            f" {self.readers + self.writers} clients ({self.readers} reading, {self.writers}"
            f" writing): {dict(self.statuses())}; {len(self.created)} creates and"
            f" {len(self.renamed)} renames acknowledged; {retried} answered after a Retry-After;"
            f" {sum(resent.values())} sent again after a kept connection closed {dict(resent)}"
        )


def stored_rows(shell, username):
    """id -> name of the rows the user owns, read in a web container (`shell`: stack_shell)."""
    code = (
        "import json; from things.models import Thing\n"
        f"print(json.dumps(list(Thing.objects.filter(owner__username={username!r})"
        ".values_list('id', 'name'))))"
    )
    return dict(json.loads(shell(code)))
