"""What every listener uses: TLS contexts, per-IP and per-registrar limits, the PROXY protocol."""
