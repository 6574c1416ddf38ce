"""One module per source kind; see :mod:`crawlers.registry`."""
