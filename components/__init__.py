"""The parts of the delivery diagram, one module each; typed settings in `settings`."""
