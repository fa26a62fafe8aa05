"""A requests session that keeps its connections open (HTTP keep-alive) and tells when a request
failed only because the server closed the kept connection it was sent on.

A server closes an idle kept connection when it likes (nginx does on a reload); a request the
client sent on it in that instant meets the closing before any byte of an answer. Browsers
(Chromium, Firefox) and OkHttp then send it once more on a new connection, whatever its method:
the server processed nothing. requests does not, so a client of ours does it, in that exact
case only: never after a timeout, a new connection's failure or the start of an answer.
"""

import http.client
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ProtocolError

# How the server's closing of a kept connection shows, when no byte of an answer came.
CLOSED_BEFORE_ANSWER = (http.client.RemoteDisconnected, ConnectionResetError)
# What the request a client thread sends right now was sent on.
SENT = threading.local()


class KeptConnection(HTTPConnection):
    """A connection that tells (in SENT.reused) whether a request went out on a socket that an
    earlier request had used."""

    def connect(self):
        super().connect()
        self.requests_on_socket = 0

    def request(self, *args, **kwargs):
        SENT.reused = self.sock is not None and getattr(self, "requests_on_socket", 0) > 0
        super().request(*args, **kwargs)
        self.requests_on_socket += 1


class KeptConnectionPool(HTTPConnectionPool):
    ConnectionCls = KeptConnection


class KeptConnectionAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": KeptConnectionPool}


def closed_before_answer(error):
    """Whether a request failed only because the server had closed the kept connection it was
    sent on, before any byte of an answer: the one case a browser sends it again."""
    reason = error.args[0] if error.args else None
    cause = reason.args[-1] if isinstance(reason, ProtocolError) and reason.args else None
    return (
        type(error) is requests.ConnectionError
        and isinstance(cause, CLOSED_BEFORE_ANSWER)
        and getattr(SENT, "reused", False)
    )


def keepalive_session():
    """A session over plain HTTP whose connections tell closed_before_answer how they were used."""
    session = requests.Session()
    session.mount("http://", KeptConnectionAdapter())
    return session
