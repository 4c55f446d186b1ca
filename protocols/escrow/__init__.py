"""Data escrow: the deposit XML writer, the OpenPGP packaging, the local checks and the
`registry rde` commands' work."""
