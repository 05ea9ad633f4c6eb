"""The project's tools: building and serving the site, making models/, measuring speed and accuracy.

Run them from the repository root as modules, e.g. `.venv/bin/python -m scripts.bench.benchmark`:
`-m` puts the root on sys.path, so `scripts.` imports need no path tricks, and ./dev installs the core
(py/googly_eyes) into .venv in editable mode. scripts/common.py holds what scripts and tests share.
"""
