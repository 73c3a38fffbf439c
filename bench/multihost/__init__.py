"""`make multihost`: the portal on two simulated hosts (network namespaces) behind HAProxy; see bench/README.md."""
