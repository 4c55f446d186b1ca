"""The shop's web application (server-rendered, Jinja2, no script needed to buy)."""
