"""The long-running parts of ``lanventory serve``: the writer, scheduler, live events, alerts."""
