"""smetslab.zigbee."""
