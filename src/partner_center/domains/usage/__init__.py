"""Pay-per-use: on-demand resources, metered usage, hourly rating and free resource packages."""
