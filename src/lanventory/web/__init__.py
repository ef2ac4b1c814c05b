"""The HTTP side of ``lanventory serve``: the API (and later the UI)."""
