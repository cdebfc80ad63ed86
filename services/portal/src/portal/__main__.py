"""``python -m portal``: the portal on 127.0.0.1:8004 (PORTAL_HOST/PORTAL_PORT)."""

import uvicorn

from portal.bootstrap import build
from portal.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(build(settings), host=settings.portal_host, port=settings.portal_port, proxy_headers=False)


if __name__ == "__main__":
    main()
