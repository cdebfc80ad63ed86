"""Makes the knowledge test helpers (``kn_*.py``) importable, and gives the integration fixtures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
