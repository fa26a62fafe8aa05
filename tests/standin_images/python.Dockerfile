# Stand-in for the official python:3.11-slim (also Debian 12), with Debian's own Python 3.11.
ARG BASE
FROM ${BASE}

# The machine's CA bundle, folded into the system one by update-ca-certificates (run when the
# ca-certificates package is installed, and again by any later install that triggers it).
COPY host-ca.crt /usr/local/share/ca-certificates/host-ca.crt

# Like the official image: `python` and `pip` on PATH, and pip may install outside a venv.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-pip ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/bin/python3 /usr/local/bin/python \
 && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED

ENV LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
