"""smetslab.report."""
