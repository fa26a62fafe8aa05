"""The rendered project's settings with one more route: the floor of any view (see the URLs)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_floor_urls"
