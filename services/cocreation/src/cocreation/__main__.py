"""``python -m cocreation``: the co-creation service on 127.0.0.1:8002 (COCREATION_HOST/PORT)."""

import uvicorn

from cocreation.bootstrap import build
from cocreation.settings import Settings


def main() -> None:
    settings = Settings()
    service = build(settings)
    uvicorn.run(service.api, host=settings.cocreation_host, port=settings.cocreation_port)


if __name__ == "__main__":
    main()
