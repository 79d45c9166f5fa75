"""Real-browser journeys: Playwright (sync API) driving Debian's Chromium against gunicorn."""
