"""Placecast in the browser: a council team's quarter (forecast, money, scenarios, indicators, reports)
over the library, with sign-in, roles, council workspaces and an append-only audit trail.

``placecast serve`` starts it; :func:`placecast.web.app.create_app` builds the ASGI application.
"""
