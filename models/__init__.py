"""Domain and ML code of the talent-matching service. Never imports Flask."""
