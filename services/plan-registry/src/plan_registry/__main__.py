"""``python -m plan_registry``: the plan register on 127.0.0.1:8001 (PLAN_REGISTRY_HOST/PORT)."""

from plan_registry.bootstrap import WIRING
from plan_registry.settings import Settings

if __name__ == "__main__":
    WIRING.serve(Settings())
