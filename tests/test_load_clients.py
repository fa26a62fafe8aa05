"""The load clients of the container tests send a request once more only in the case browsers
do (tooling.keepalive): the server closed the REUSED connection it went out on before any byte
of an answer. A resend in any other case (a new connection that failed, an answer cut short, a
timeout) could apply a write twice, or hide a real failure the deploy and fault tests look for.

Real sockets: a server on 127.0.0.1 that answers, or closes, as each case asks.
"""

import socket
import threading
import time

import pytest
import requests

from tooling.keepalive import closed_before_answer, keepalive_session
from tooling.load import Load

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
CUT_SHORT = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"
HOLD = object()


class Server:
    """Accepts connections on 127.0.0.1 and follows one script per connection, one step per
    request it reads: bytes to send back, None to close without answering, HOLD to answer
    nothing for a while. The connection closes when its script ends. Counts the requests."""

    def __init__(self, *scripts):
        self.scripts, self.requests = list(scripts), 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while self.scripts:
            connection, _ = self.listener.accept()
            with connection:
                for step in self.scripts.pop(0):
                    connection.recv(65536)
                    self.requests += 1
                    if step is None:
                        break
                    if step is HOLD:
                        time.sleep(2)
                    else:
                        connection.sendall(step)


def failure(session, base, method="GET", timeout=5):
    with pytest.raises(requests.RequestException) as raised:
        session.request(method, base, timeout=timeout)
    return raised.value


def test_a_reused_connection_closed_before_any_answer_is_the_case_for_a_resend():
    server = Server([OK, None])
    session = keepalive_session()
    assert session.get(server.base, timeout=5).status_code == 200
    assert closed_before_answer(failure(session, server.base, "POST"))


@pytest.mark.parametrize(
    ("scripts", "timeout"),
    [
        ([[None]], 5),  # a new connection closed before any answer
        ([[OK, CUT_SHORT]], 5),  # an answer that began, then stopped
        ([[OK, b"HTTP/1.1 2"]], 5),  # and one that stopped in its status line
        ([[OK, HOLD]], 0.5),  # no answer in time
    ],
    ids=["new connection", "answer cut short", "status line cut short", "timeout"],
)
def test_no_other_failure_is(scripts, timeout):
    server = Server(*scripts)
    session = keepalive_session()
    if scripts[0][0] == OK:
        assert session.get(server.base, timeout=5).status_code == 200
    assert not closed_before_answer(failure(session, server.base, "POST", timeout))


def test_the_load_sends_it_once_more_on_a_new_connection_and_counts_it():
    server = Server([OK, None], [OK, None], [None])
    load = Load(server.base, access="token")
    session = load.session()
    load.request(session, "GET", "/")
    assert load.request(session, "POST", "/").status_code == 200
    assert [a.resent for a in load.answers] == [False, True] and server.requests == 3
    # Closed again, then on the new connection too: a failure, not a second resend.
    assert load.request(session, "POST", "/") is None
    assert (load.answers[-1].status, load.answers[-1].resent) == ("ConnectionError", True)
    assert server.requests == 5
