"""The partner API (issue 15): read-only views of a partner's own students, answers to its lists, transcripts."""
