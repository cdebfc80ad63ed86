"""Makes the relay's test application (``relay_app``) importable for the runtime's tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
