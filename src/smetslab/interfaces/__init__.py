"""smetslab.interfaces."""
