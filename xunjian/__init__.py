"""The xunjian command line and the one-machine launcher."""
