"""Payment gateways of the shop: Stripe (the official SDK) and PayPal (Orders v2 over aiohttp).
They know orders by reference only and report a paid order through a callback (model.OnPaid);
the shop's order pipeline wires that callback to its own `mark_paid`."""
