# Stand-in for the official nginx image, with Debian's nginx. It keeps the parts of that image
# the rendered proxy relies on: its nginx.conf, which includes /etc/nginx/conf.d/*.conf inside
# `http`, logs on standard output and error, and a graceful stop on SIGQUIT.
ARG BASE
FROM ${BASE}

RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && rm -rf /etc/nginx/sites-enabled /etc/nginx/sites-available \
 && useradd --system --no-create-home --shell /usr/sbin/nologin nginx \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log

COPY nginx.conf /etc/nginx/nginx.conf
COPY nginx-default.conf /etc/nginx/conf.d/default.conf

EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
