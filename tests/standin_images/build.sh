#!/usr/bin/env bash
# Builds local stand-ins for the official python:3.11-slim, postgres:15 and nginx images, which
# cannot be pulled here: no image registry is reachable, only Debian's and PyPI's package
# registries. All start from one debootstrap'ed Debian 12; whatever is already built is skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

python_image=${STANDIN_PYTHON_IMAGE:-drf-auth-template/python:3.11-slim}
postgres_image=${STANDIN_POSTGRES_IMAGE:-drf-auth-template/postgres:15}
nginx_image=${STANDIN_NGINX_IMAGE:-drf-auth-template/nginx:1.22}
base_image=drf-auth-template/debian:bookworm-minbase
# debootstrap is the slow step, so its result outlives the images (`docker system prune`).
cache=${XDG_CACHE_HOME:-$HOME/.cache}/drf-auth-template
rootfs=$cache/debian-bookworm-minbase.tar
# Only the legacy builder exists here (no buildx): a DOCKER_BUILDKIT=1 from outside would fail.
export DOCKER_BUILDKIT=0

present() { docker image inspect "$1" >/dev/null 2>&1; }

make_rootfs() { # DIR
    debootstrap --variant=minbase bookworm "$1" http://deb.debian.org/debian \
        >"$work/debootstrap.log" || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
    # Point-release and security updates too, as in the official images.
    printf 'deb http://deb.debian.org/debian %s main\n' bookworm bookworm-updates >"$1/etc/apt/sources.list"
    echo 'deb http://deb.debian.org/debian-security bookworm-security main' >>"$1/etc/apt/sources.list"
    # Slim, like the official -slim images: no docs, man pages or translations, now or later.
    printf 'path-exclude /usr/share/%s/*\n' doc man info locale >"$1/etc/dpkg/dpkg.cfg.d/slim"
    echo 'path-include /usr/share/doc/*/copyright' >>"$1/etc/dpkg/dpkg.cfg.d/slim"
    (cd "$1/usr/share" && find doc -type f ! -name copyright -delete && rm -rf man/* info/* locale/*)
    rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*
}

build() { # IMAGE DOCKERFILE
    present "$1" && return
    echo "build.sh: building $1"
    # Host network: inside the build, the registries are reached just as from the machine.
    docker build --network host --build-arg BASE="$base_image" -f "$context/$2" -t "$1" "$context" \
        >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; exit 1; }
}

if ! present "$python_image" || ! present "$postgres_image" || ! present "$nginx_image"; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT

    if ! present "$base_image"; then
        if [[ ! -s $rootfs ]]; then
            echo "build.sh: debootstrap bookworm into $rootfs"
            make_rootfs "$work/root"
            mkdir -p "$cache"
            tar --numeric-owner -C "$work/root" -cf "$rootfs.partial" .
            mv "$rootfs.partial" "$rootfs"
        fi
        echo "build.sh: importing $base_image"
        docker import --change 'CMD ["bash"]' "$rootfs" "$base_image" >/dev/null
    fi

    # The build context carries the machine's CA bundle: inside `docker build`, PyPI is reached
    # through the same intercepting proxy as on the machine, which only this bundle trusts.
    context=$work/context
    mkdir "$context"
    cp "$here"/*.Dockerfile "$here"/postgres-entrypoint.sh "$here"/nginx*.conf "$context/"
    chmod +x "$context/postgres-entrypoint.sh"
    cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca.crt"
    build "$python_image" python.Dockerfile
    build "$postgres_image" postgres.Dockerfile
    build "$nginx_image" nginx.Dockerfile
fi

echo "$python_image"
echo "$postgres_image"
echo "$nginx_image"
