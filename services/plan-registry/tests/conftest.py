"""Makes the shared test suites of this service (``pr_*_suite.py``) importable by its test modules,
so one suite runs on the in-memory store, SQLite and PostgreSQL."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
