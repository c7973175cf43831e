"""The application for an ASGI server: ``uvicorn placecast.web.asgi:app`` (settings from ``PLACECAST_*``)."""

from placecast.web.app import create_app

app = create_app()
