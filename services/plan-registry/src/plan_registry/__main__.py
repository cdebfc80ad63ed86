"""``python -m plan_registry``: the plan register on 127.0.0.1:8001 (PLAN_REGISTRY_HOST/PORT)."""

import uvicorn

from plan_registry.bootstrap import build
from plan_registry.settings import Settings


def main() -> None:
    settings = Settings()
    service = build(settings)
    uvicorn.run(service.api, host=settings.plan_registry_host, port=settings.plan_registry_port)


if __name__ == "__main__":
    main()
