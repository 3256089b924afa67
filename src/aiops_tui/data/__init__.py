"""Data files shipped inside the package (read with importlib.resources): the maturity questionnaire."""
