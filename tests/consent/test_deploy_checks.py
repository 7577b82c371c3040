"""Production settings pass `check --deploy`; a per-process cache for throttles is warned about."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.core.checks import run_checks

from consent.checks import shared_cache_for_throttles

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "consent.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_SSL_REDIRECT": "1",
    "BEHIND_PROXY": "1",
}


def _check_deploy(tmp_path, **overrides):
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.update(PRODUCTION)
    env.update(overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_https_settings_or_redis(tmp_path):
    result = _check_deploy(tmp_path, REDIS_URL=None, SECURE_HSTS_SECONDS=None, SECURE_SSL_REDIRECT=None)
    assert result.returncode != 0
    for check_id in ("consent.W001", "security.W004", "security.W008"):
        assert check_id in result.stderr, result.stderr


def test_shared_cache_check_follows_debug_and_the_cache_backend(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [w.id for w in shared_cache_for_throttles()] == ["consent.W001"]
    assert "consent.W001" in [w.id for w in run_checks()]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert shared_cache_for_throttles() == []
    settings.DEBUG = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert shared_cache_for_throttles() == []
