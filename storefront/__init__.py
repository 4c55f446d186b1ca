"""The storefront: a registrar in front of one or more registries (search, pricing, and
later the cart, checkout, payments and the order pipeline). It is not part of the registry
core and never imports registry_core.services: it reaches every registry, ours included,
only through registry connectors (our EPP client over TLS with a client certificate)."""
