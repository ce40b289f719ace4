"""rulepress: Auth0 rules and actions kept as code."""

__version__ = "0.1.0"
