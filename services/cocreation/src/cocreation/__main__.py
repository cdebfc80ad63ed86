"""``python -m cocreation``: the co-creation service on 127.0.0.1:8002 (COCREATION_HOST/PORT)."""

from cocreation.bootstrap import WIRING
from cocreation.settings import Settings

if __name__ == "__main__":
    WIRING.serve(Settings())
