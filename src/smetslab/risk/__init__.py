"""smetslab.risk."""
