"""``python -m cocreation``: the co-creation service on 127.0.0.1:8002 (COCREATION_HOST/PORT)."""

import uvicorn

from cocreation.bootstrap import build
from cocreation.settings import Settings
from planspor_runtime.logs import configure_logging, secret_values


def main() -> None:
    settings = Settings()
    configure_logging("cocreation", secrets=secret_values(settings))
    service = build(settings)
    uvicorn.run(service.api, host=settings.cocreation_host, port=settings.cocreation_port, log_config=None)


if __name__ == "__main__":
    main()
