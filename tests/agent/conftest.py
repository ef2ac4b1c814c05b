"""The server fixtures (``app`` on the ``engine`` database, its ``clock``) for agent tests."""

from tests.web.conftest import app, clock

__all__ = ["app", "clock"]
