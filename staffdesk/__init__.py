"""Staff desk: the per-term dashboard (figures, charts, downloads) and background jobs with progress."""
