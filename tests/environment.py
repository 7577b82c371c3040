"""Test environment, loaded as a pytest plugin (-p) so it is set before Django reads its settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("PLAIN_STATIC", "1")
os.environ.setdefault("CONSOLE_REQUIRE_OTP", "1")
os.environ.setdefault("THROTTLE_PUBLIC", "100000/min")
