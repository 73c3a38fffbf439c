"""The benchmark (``make bench``, ``make bench-inprocess``): not part of the portal; its settings add the ping page."""
