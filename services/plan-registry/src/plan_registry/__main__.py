"""``python -m plan_registry``: the plan register on 127.0.0.1:8001 (PLAN_REGISTRY_HOST/PORT)."""

import uvicorn

from plan_registry.bootstrap import build
from plan_registry.settings import Settings
from planspor_runtime.logs import configure_logging, secret_values


def main() -> None:
    settings = Settings()
    configure_logging("plan-registry", secrets=secret_values(settings))
    service = build(settings)
    uvicorn.run(service.api, host=settings.plan_registry_host, port=settings.plan_registry_port, log_config=None)


if __name__ == "__main__":
    main()
