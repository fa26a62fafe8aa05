"""Raw HTTP over sockets: slow clients that hold a request open, and a request sent only in part.

Only ever aimed at this machine's own services (127.0.0.1): the test's own containers.
"""

import contextlib
import http.client
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
