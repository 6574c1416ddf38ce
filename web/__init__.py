"""The analysts' web app: FastAPI + Jinja2 + HTMX, server-rendered, Vietnamese interface."""
