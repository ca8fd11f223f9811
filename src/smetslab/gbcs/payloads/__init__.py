"""smetslab.gbcs.payloads."""
