"""Proof harness: load, faults and hostile input against the real portal.

Everything runs on loopback against the project's own servers: gunicorn workers
started here (`servers.py`), a bounded threaded client that reads the live forms
(`client.py`), and checks that read the database and the index afterwards.
`python -m proof` (or `make proof`) runs the full version and rewrites
docs/reliability.md; tests/test_proof_*.py run short versions inside the suite.
"""
