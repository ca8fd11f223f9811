"""smetslab.fleet."""
