"""``python -m portal``: the portal on 127.0.0.1:8004 (PORTAL_HOST/PORTAL_PORT)."""

import uvicorn

from planspor_runtime.logs import configure_logging, secret_values
from portal.bootstrap import build
from portal.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging("portal", secrets=secret_values(settings))
    uvicorn.run(
        build(settings), host=settings.portal_host, port=settings.portal_port, proxy_headers=False, log_config=None
    )


if __name__ == "__main__":
    main()
