"""The portal for the filing benchmark: ``gunicorn bench.wsgi_portal:app``.

Exactly ``portal:create_app()`` (configured by the same PORTAL_* variables) with rate
limiting switched off: every filing of the benchmark comes from 127.0.0.1, and the
public form allows 20 per hour per address.
"""
from portal import create_app

app = create_app({"RATELIMIT_ENABLED": False})
