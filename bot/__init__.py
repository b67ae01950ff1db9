"""ketenbot composition root, configuration, command line and transports."""
