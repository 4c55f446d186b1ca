"""Email notifications: the channel (channel.py) over a bounded SMTP pool (smtp_pool.py),
messages (message.py) from Jinja2 templates (templates.py, templates/), optional DKIM
(dkim_signing.py), checked addresses (address.py), and the development catcher (catcher.py)."""
