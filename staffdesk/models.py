"""The staff desk has no models of its own: ``StaffJob`` lives in the kernel (``core.models``, table kept)."""
