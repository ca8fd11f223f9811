"""smetslab.policy."""
