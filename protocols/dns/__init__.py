"""DNS publication (coming): the zone publisher that sends the registry's changes to the
hidden primary (Knot DNS) and probes the secondaries."""
