"""Makes the knowledge test helpers (``kn_story.py``, ``kq_story.py``) importable; the benchmark adds this folder itself."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
