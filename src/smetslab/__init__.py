"""smetslab: a SMETS2 prepayment premises emulator with real GBCS security, and a fleet model
that weighs the options for keeping prepayment customers served when the smart-metering WAN is down."""

__version__ = "0.1.0"
__all__ = ["__version__"]
