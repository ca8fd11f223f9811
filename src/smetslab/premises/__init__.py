"""smetslab.premises."""
