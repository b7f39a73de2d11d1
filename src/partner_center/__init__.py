"""partner-center: a self-hostable Partner Center for a public cloud's reseller channel."""

__version__ = "0.1.0"
