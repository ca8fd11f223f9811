"""smetslab.devices."""
