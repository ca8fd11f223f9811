"""smetslab.risk: the risk register engine - a threat catalogue scored from the fleet model's simulated metrics.

``load_catalogue`` (the built-in catalogue, optionally with a user's YAML merged in), ``RiskParams`` (what
the register reads of a scenario), ``registers`` (every option's register, counts, changes against
baseline, appetite), ``stability`` (ratings that move under the sensitivity sweeps). docs/risk.md.
"""

from smetslab.risk.catalogue import Catalogue, Threat, load_catalogue, validate_catalogue
from smetslab.risk.register import OptionRegister, RegisterRow, RiskParams, registers, stability
from smetslab.risk.scoring import METHODS, RATINGS

__all__ = ["Catalogue", "Threat", "load_catalogue", "validate_catalogue", "OptionRegister", "RegisterRow",
           "RiskParams", "registers", "stability", "METHODS", "RATINGS"]
