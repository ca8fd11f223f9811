"""The ``smetslab serve`` workbench: FastAPI app, REST API under /api/, pages and static assets."""

from smetslab.interfaces.web.app import Settings, create_app

__all__ = ["Settings", "create_app"]
