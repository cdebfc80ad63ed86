"""Makes the records the verifier's tests build (``verify_records``) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
