from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.readsite.urls"
MIDDLEWARE = ["bench.readsite.middleware.count_queries", *MIDDLEWARE]  # noqa: F405
