"""Raw HTTP over sockets: slow clients that hold a request open, and a request sent only in part.

Only ever aimed at this machine's own services (127.0.0.1): the test's own containers.
"""

import contextlib
import http.client
import json
import socket

LOOPBACK = "127.0.0.1"
# The start of a login with a body that never comes: a sync Gunicorn worker that reads it
# waits for the rest. X-Forwarded-Proto keeps Django's HTTPS redirect from answering first.
PARTIAL_LOGIN = (
    b"POST /api/token/ HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: 100000\r\n"
    b"X-Forwarded-Proto: https\r\n"
    b"\r\n"
    b"{"
)


@contextlib.contextmanager
def slow_clients(port, count):
    """`count` connections to 127.0.0.1:port, each sending PARTIAL_LOGIN and then nothing,
    held open until the block ends."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection((LOOPBACK, port), timeout=5)
            sockets.append(sock)
            sock.sendall(PARTIAL_LOGIN)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def still_waiting(sock):
    """True while the server has neither answered on the connection nor closed it."""
    sock.settimeout(0.2)
    try:
        sock.recv(1)  # an answer, or b"" for a closed connection
    except TimeoutError:
        return True
    except OSError:
        return False
    return False


def headers_only(port, method, path, headers):
    """Send a request's headers and no body; (status, headers, body) of the answer."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.putrequest(method, path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


@contextlib.contextmanager
def held_body(port, method, path, headers, body):
    """A JSON request whose headers go now and whose body waits until the block calls the
    `release()` it yields; release() sends the body and returns (status, JSON answer).

    With `Expect: 100-continue`, Gunicorn answers "100 Continue" just before it hands the
    request to Django, which authenticates it (loads the user) and then waits for the body.
    """
    payload = json.dumps(body).encode()
    head = {
        "Host": LOOPBACK,
        "Content-Type": "application/json",
        "Content-Length": str(len(payload)),
        "Expect": "100-continue",
        **headers,
    }
    lines = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in head.items())]
    sock = socket.create_connection((LOOPBACK, port), timeout=60)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = sock.recv(1024)
            if not chunk:
                raise ConnectionError(f"{method} {path}: closed before 100 Continue: {interim!r}")
            interim += chunk
        if not interim.startswith(b"HTTP/1.1 100"):
            raise ConnectionError(f"{method} {path}: answered before its body: {interim!r}")

        def release():
            sock.sendall(payload)
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            return answer.status, json.loads(answer.read())

        yield release
    finally:
        sock.close()
